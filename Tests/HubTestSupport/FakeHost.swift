import HubProtocol
import Synchronization
import TickhubCore

import Hub

/// The server around the fan-out, as far as the fan-out sees it: answers worked out off the thread are kept, and
/// an upstream records what it is asked.
package final class FakeHost: FanoutHost {
    package let upstream = RecordingUpstream()
    package let charts = RecordingCharts()
    package let replies: AsyncStream<(Int, HTTPResponse)>
    private let reported: AsyncStream<(Int, HTTPResponse)>.Continuation

    package init() { (replies, reported) = AsyncStream.makeStream() }

    package var isStopping: Bool { false }
    package func reply(_ exchange: Int, _ response: HTTPResponse) { reported.yield((exchange, response)) }
    package func tellEveryShard(_ event: HubEvent) {}
    package func file(_ path: String, in directory: String?) -> HTTPResponse { .error(404, code: "not_found", "no files here") }
    package func otherShards() async -> [ShardFigures] { [] }
}

/// Each subscribe and unsubscribe it gets, as one line, in the order they arrive; prioritize too when asked to.
package final class RecordingUpstream: MarketDataUpstream {
    package let commands: AsyncStream<String>
    private let report: AsyncStream<String>.Continuation
    private let recordsPriorities: Bool

    package init(recordingPriorities: Bool = false) {
        (commands, report) = AsyncStream<String>.makeStream()
        recordsPriorities = recordingPriorities
    }

    package func prioritize(_ symbols: [String]) async {
        if recordsPriorities { report.yield("prioritize " + symbols.joined(separator: ",")) }
    }

    package func subscribe(_ instruments: [Instrument]) async { report.yield("subscribe " + instruments.map(\.symbol).joined(separator: ",")) }
    package func unsubscribe(_ symbols: [String]) async { report.yield("unsubscribe " + symbols.sorted().joined(separator: ",")) }
}

/// A clock the test moves.
package final class ManualClock: Sendable {
    private let micros = Mutex<Int64>(1_800_000_000_000_000)
    package init() {}
    package var clock: WallClock { WallClock { [self] in micros.withLock { $0 } } }
    package func advance(seconds: Double) { micros.withLock { $0 += Int64(seconds * 1_000_000) } }
    package var now: Int64 { micros.withLock { $0 } }
}
