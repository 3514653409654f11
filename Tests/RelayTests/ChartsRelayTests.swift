import Foundation
import Hub
import NATSLink
import NATSTestSupport
@testable import Relay
import ScaleOut
import Synchronization
import Testing
import TickhubCore

/// Bar series, bar updates and fired alerts across the relay, against a real nats-server: a leading ingest passes
/// on what its hub publishes (the hub's own bytes, with the epoch) and follows the series an edge's renewal names
/// under the edge's lease; an edge asks for the series its clients chart and hands what arrives to its hub.
extension IngestTests {
@Suite("Charts and alerts over the relay", .serialized)
struct ChartsRelayTests {
    struct FollowedBars: Sendable, Equatable {
        let keys: Set<BarKey>
        let owner: String
    }

    let subjects = try! RelaySubjects(prefix: "chartrelay")
    let minute = BarKey(symbol: "AAPL", interval: .oneMinute)

    static let history = [
        Bar(time: 1_796_000_040_000, open: 190.1, high: 190.5, low: 189.9, close: 190.2, volume: 1_200),
        Bar(time: 1_796_000_100_000, open: 190.2, high: 190.9, low: 190.0, close: 190.8, volume: 900),
    ]

    @Test("the leader relays series, updates, releases and alerts as its hub encoded them, and follows an edge's series under its lease")
    func ingestRelaysAndFollows() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
        let relay = IngestRelay(connection: connection, settings: .init(subjects: subjects, name: "ingest", leaderTTL: .seconds(1)))
        let runs = Gathered<Bool>()
        let followed = Gathered<FollowedBars>()
        try relay.start(.init(follow: { _, _ in }, followBars: { followed.append(FollowedBars(keys: $0, owner: $1)) },
                              seedSequences: { _ in })) { runs.append($0) }
        try #require(await runs.wait(timeout: .seconds(15)) { $0 == [true] })
        let epoch = try #require(relay.state.epoch)

        let edge = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        let heard = Gathered<NATSMessage>()
        _ = try edge.subscribe(subjects.charts) { heard.append($0) }
        _ = try edge.subscribe(subjects.alerts) { heard.append($0) }
        try await edge.flush(timeout: .seconds(2))

        // What the hub publishes goes out as its own bytes, each with the leader's epoch.
        let series = EncodedBarSeries(minute, bars: Self.history, source: .ibkr, lastComplete: true)
        let update = EncodedBar(minute, Bar(time: 1_796_000_160_000, open: 190.8, high: 191.0, low: 190.7, close: 190.95, volume: 40),
                                source: .ibkr)
        let fired = AlertFired(id: "a1", symbol: "AAPL", condition: .above, level: 190.9, price: 190.95, time: 1_796_000_161_000)
        relay.feed.relay(.barSeries(series))
        relay.feed.relay(.bar(update))
        relay.feed.relay(.alert(EncodedAlert(fired)))
        try #require(await heard.wait(timeout: .seconds(15)) { $0.count >= 3 })
        // The chart subjects keep their order; the alerts' subscription is a delivery of its own.
        let alerts = heard.items.filter { $0.subject == subjects.alerts }
        let first = heard.items.filter { $0.subject != subjects.alerts } + alerts
        try #require(first.count == 3, "heard \(first.map(\.subject))")
        #expect(first.allSatisfy { EpochGate.epoch(in: $0.headers) == epoch })
        #expect(first.map(\.subject) == [subjects.barSeries, subjects.bar, subjects.alerts])
        #expect(first[0].data == series.bytes.bytes && first[1].data == update.bytes.bytes)
        let relayedSeries = try BarSeriesMessage(json: first[0].data)
        #expect(relayedSeries.key == minute && relayedSeries.bars == Self.history && relayedSeries.source == .ibkr && relayedSeries.lastComplete)
        let relayedBar = try BarUpdateMessage(json: first[1].data)
        #expect(relayedBar.key == minute && relayedBar.bar == update.bar && relayedBar.source == .ibkr)
        #expect(try AlertMessage(json: first[2].data).fired == fired)

        // An edge's renewal with a series: followed for the edge, and the series as it stands (its update taken in)
        // sent again for it, since it came before the edge asked.
        let renewal = InterestRenewal(edge: "e1", symbols: ["AAPL"], bars: [minute], leaseMilliseconds: 1_000)
        _ = try await edge.request(subjects.interest, renewal.json, timeout: .seconds(2))
        try #require(await followed.wait(timeout: .seconds(6)) { $0 == [FollowedBars(keys: [minute], owner: "edge:e1")] })
        try #require(await heard.wait(timeout: .seconds(9)) { $0.count == 4 })
        let again = try BarSeriesMessage(json: heard.items[3].data)
        #expect(heard.items[3].subject == subjects.barSeries)
        #expect(again.bars == Self.history + [update.bar] && !again.lastComplete)

        // The same series again is no news; the lease left to run out releases it.
        _ = try await edge.request(subjects.interest, renewal.json, timeout: .seconds(2))
        try #require(await followed.wait(timeout: .seconds(9)) { $0.last == FollowedBars(keys: [], owner: "edge:e1") })
        #expect(followed.items.count == 2)

        // Leading anew (a takeover), the series held here go out again as they stand: edges' copies were the last
        // leader's.
        let other = BarKey(symbol: "MSFT", interval: .fiveMinutes)
        relay.feed.relay(.barSeries(EncodedBarSeries(other, bars: [], source: nil, lastComplete: false)))
        try #require(await heard.wait(timeout: .seconds(9)) { $0.count == 5 })
        relay.feed.lead(epoch: epoch)
        try #require(await heard.wait(timeout: .seconds(9)) { $0.count == 6 })
        #expect(heard.items[5].subject == subjects.barSeries)
        #expect(try BarSeriesMessage(json: heard.items[5].data).bars == Self.history + [update.bar])
        try await edge.flush(timeout: .seconds(2))
        #expect(await heard.wait(timeout: .milliseconds(300)) { $0.count > 6 } == false, "an empty series was sent again on the lead")

        // A release goes out as its own message; a series let go is not sent again on the next lead.
        relay.feed.relay(.barsReleased([minute]))
        try #require(await heard.wait(timeout: .seconds(9)) { $0.count == 7 })
        #expect(heard.items[6].subject == subjects.barsReleased)
        #expect(try BarsReleasedMessage(json: heard.items[6].data).keys == [minute])
        relay.feed.lead(epoch: epoch)
        try await edge.flush(timeout: .seconds(2))
        #expect(await heard.wait(timeout: .milliseconds(300)) { $0.count > 7 } == false, "a released series was sent again")

        await relay.stop()
        edge.close()
        connection.close()
    }

    enum Handed: Sendable, Equatable {
        case series(BarSeriesMessage)
        case bar(BarUpdateMessage)
        case alert(AlertFired)
    }

    @Test("an edge asks for the series its clients chart in its renewals, hands the leader's series, updates and alerts to its hub, and asks again for a series the leader let go")
    func edgeFollowsAndDelivers() async throws {
        let server = try NATSServerProcess()
        let ingest = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
        let renewals = Gathered<InterestRenewal>()
        _ = try ingest.subscribe(subjects.interest) { message in
            guard let renewal = try? InterestRenewal(json: message.data) else { return }
            renewals.append(renewal)
            try? ingest.respond(to: message, InterestGrant(epoch: 4).json, headers: EpochGate.headers(4))
        }
        try await ingest.flush(timeout: .seconds(2))

        let connection = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        let relay = EdgeRelay(connection: connection, settings: .init(subjects: subjects, name: "e1", lease: .seconds(30),
                                                                      requestTimeout: .milliseconds(500)))
        let handed = Gathered<Handed>()
        try relay.start(EdgeHub(quote: { _ in .superseded }, barSeries: { handed.append(.series($0)) },
                                bar: { handed.append(.bar($0)) }, alert: { handed.append(.alert($0)) }))
        try await connection.flush(timeout: .seconds(2))

        await relay.upstream.follow([minute])
        try #require(await renewals.wait(timeout: .seconds(9)) { $0.last?.bars == [self.minute] }, "the series was never asked for")

        let series = EncodedBarSeries(minute, bars: Self.history, source: .yahoo, lastComplete: true)
        let update = EncodedBar(minute, Bar(time: 1_796_000_160_000, open: 190.8, high: 191.0, low: 190.7, close: 190.95, volume: 40),
                                source: .ibkr)
        let fired = AlertFired(id: "a2", symbol: "AAPL", condition: .crosses, level: 190.9, price: 190.95, time: 1_796_000_161_000)
        try ingest.publish(subjects.barSeries, series.bytes.bytes, headers: EpochGate.headers(4))
        try ingest.publish(subjects.bar, update.bytes.bytes, headers: EpochGate.headers(4))
        try ingest.publish(subjects.alerts, EncodedAlert(fired).bytes.bytes, headers: EpochGate.headers(4))
        // An older leader's word is not taken; neither are bytes that are no bar.
        try ingest.publish(subjects.bar, update.bytes.bytes, headers: EpochGate.headers(3))
        try ingest.publish(subjects.bar, Array("{\"type\":\"bar\"}".utf8), headers: EpochGate.headers(4))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.count >= 3 })
        try await ingest.flush(timeout: .seconds(2))
        #expect(await handed.wait(timeout: .milliseconds(300)) { $0.count > 3 } == false, "an old epoch's or a malformed bar was taken")
        let items = handed.items.filter { if case .alert = $0 { false } else { true } } + handed.items.filter { if case .alert = $0 { true } else { false } }
        guard items.count == 3, case let .series(got) = items[0], case let .bar(gotBar) = items[1] else {
            Issue.record("handed \(items)")
            return
        }
        #expect(got.key == minute && got.bars == Self.history && got.source == .yahoo && got.lastComplete)
        #expect(gotBar.bar == update.bar && gotBar.source == .ibkr)
        #expect(items[2] == .alert(fired))
        #expect(relay.metrics.figures.refused >= 1)

        // The leader let the series go (this edge's lease ran out): the edge, still charting it, asks again at once.
        let before = renewals.items.count
        try ingest.publish(subjects.barsReleased, BarsReleasedMessage([minute]).json, headers: EpochGate.headers(4))
        try #require(await renewals.wait(timeout: .seconds(9)) { $0.count > before && $0.last?.bars == [self.minute] })

        // Released here: the next renewal no longer names it.
        await relay.upstream.release([minute])
        try #require(await renewals.wait(timeout: .seconds(9)) { $0.last?.bars == [] })
        #expect(relay.upstream.wantedBars.isEmpty)

        relay.stop()
        connection.close()
        ingest.close()
    }
}
}
