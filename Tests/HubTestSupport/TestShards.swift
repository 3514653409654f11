import HubProtocol
import TickhubCore

import Hub

/// Hubs as a server's shards, without threads or sockets: one interest upstream, one broadcast, and every event
/// applied to every hub as it is posted. Each hub's host answers for the other hubs' figures, as a shard asks the
/// others on their threads. Tests drive it from one task, so nothing here is touched concurrently.
package final class TestShards: @unchecked Sendable {
    package let upstream: RecordingUpstream
    package let charts = RecordingCharts()
    package let interest: InterestUnion
    package private(set) var hubs: [FanoutHub] = []
    package private(set) var broadcast: HubBroadcast!
    private var hosts: [ShardHost] = []

    package init(_ count: Int, clock: ManualClock, recordingPriorities: Bool = false,
                 _ adjust: (inout ServerConfiguration) -> Void = { _ in }) {
        var configuration = ServerConfiguration()
        adjust(&configuration)
        upstream = RecordingUpstream(recordingPriorities: recordingPriorities)
        interest = InterestUnion(budget: configuration.maxUpstreamSymbols, upstream: upstream, charts: charts)
        hosts = (0..<count).map { ShardHost(index: $0) }
        for host in hosts { host.shards = self }
        hubs = (0..<count).map { index in
            FanoutHub(configuration: configuration, host: hosts[index], wiring: HubWiring(upstream: upstream, charts: charts), frameHeadroom: 16,
                      clock: clock.clock, place: ShardPlace(index: index, count: count, interest: interest))
        }
        broadcast = HubBroadcast(shards: hubs.map(Inbox.init))
    }

    package subscript(_ index: Int) -> FanoutHub { hubs[index] }

    /// Everything asked upstream so far, in order (see `FanoutTests.upstreamCommands`).
    package func upstreamCommands() async -> [String] {
        interest.commands.send(.unsubscribe(["END"]))
        var seen: [String] = []
        for await command in upstream.commands {
            if command == "unsubscribe END" { break }
            seen.append(command)
        }
        return seen
    }

    /// A shard's queue, applied at once.
    private final class Inbox: ShardInbox, @unchecked Sendable {
        let hub: FanoutHub
        init(_ hub: FanoutHub) { self.hub = hub }
        func post(_ event: HubEvent) { hub.apply(event) }
    }

    private final class ShardHost: FanoutHost, @unchecked Sendable {
        let index: Int
        weak var shards: TestShards?
        init(index: Int) { self.index = index }

        var isStopping: Bool { false }
        func reply(_ exchange: Int, _ response: HTTPResponse) {}
        func tellEveryShard(_ event: HubEvent) { shards?.broadcast.post(event) }
        func file(_ path: String, in directory: String?) -> HTTPResponse { .error(404, code: "not_found", "no files here") }
        func otherShards() async -> [ShardFigures] {
            guard let hubs = shards?.hubs else { return [] }
            return hubs.indices.filter { $0 != index }.map { hubs[$0].figures }
        }
    }
}
