import TickhubCore

/// The hub's changes of upstream interest, handed upstream one at a time in the order the hub made them.
/// A symbol released and wanted again a moment later must end subscribed, which two independent tasks (one per
/// change) do not promise.
package final class UpstreamQueue: Sendable {
    package enum Command: Sendable {
        case subscribe([Instrument])
        case unsubscribe([String])
        /// Every symbol followed, best-ranked first.
        case prioritize([String])
    }

    private let continuation: AsyncStream<Command>.Continuation

    package init(upstream: any MarketDataUpstream) {
        let (commands, continuation) = AsyncStream<Command>.makeStream()
        self.continuation = continuation
        Task {
            for await command in commands {
                switch command {
                case let .subscribe(instruments): await upstream.subscribe(instruments)
                case let .unsubscribe(symbols): await upstream.unsubscribe(symbols)
                case let .prioritize(symbols): await upstream.prioritize(symbols)
                }
            }
        }
    }

    package func send(_ command: Command) { continuation.yield(command) }

    deinit { continuation.finish() }
}
