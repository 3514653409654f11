import TickhubCore

import Hub

/// A chart upstream that records each follow and release, as one line (`follow AAPL 1m,MSFT 5m`), in the order the
/// hub's queue hands them over.
package final class RecordingCharts: ChartUpstream {
    package let commands: AsyncStream<String>
    private let report: AsyncStream<String>.Continuation

    package init() { (commands, report) = AsyncStream<String>.makeStream() }

    package func follow(_ keys: [BarKey]) async { report.yield("follow " + Self.line(keys)) }
    package func release(_ keys: [BarKey]) async { report.yield("release " + Self.line(keys)) }

    private static func line(_ keys: [BarKey]) -> String { keys.map(\.description).sorted().joined(separator: ",") }

    /// Everything asked of it so far through `interest`, in order: a release of the test's own marks the end, and
    /// the queue keeps the order, so nothing is waited for that never comes.
    package func commands(through interest: ChartInterest) async -> [String] {
        interest.send(.release([BarKey(symbol: "END", interval: .oneMinute)]))
        var seen: [String] = []
        for await command in commands {
            if command == "release END 1m" { break }
            seen.append(command)
        }
        return seen
    }
}
