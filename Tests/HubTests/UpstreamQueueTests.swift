import HubProtocol
import Synchronization
import Testing
import TickhubCore

@testable import Hub

@Suite struct UpstreamQueueTests {
    /// Records each command; a subscribe waits until the test lets it finish, so a later command could overtake it.
    final class HeldUpstream: MarketDataUpstream {
        let seen: AsyncStream<String>
        private let report: AsyncStream<String>.Continuation
        let release = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let unsubscribes = Mutex(0)

        init() { (seen, report) = AsyncStream<String>.makeStream() }

        func subscribe(_ instruments: [Instrument]) async {
            report.yield("subscribe " + instruments.map(\.symbol).joined(separator: ","))
            await withCheckedContinuation { continuation in release.withLock { $0 = continuation } }
        }

        func unsubscribe(_ symbols: [String]) async {
            unsubscribes.withLock { $0 += 1 }
            report.yield("unsubscribe " + symbols.joined(separator: ","))
        }
    }

    @Test func aLaterCommandWaitsForTheOneBeforeIt() async throws {
        let backend = HeldUpstream()
        let queue = UpstreamQueue(upstream: backend)
        let aapl = try SymbolGrammar.parse("AAPL")
        queue.send(.subscribe([aapl]))
        queue.send(.unsubscribe(["AAPL"]))
        var seen = backend.seen.makeAsyncIterator()
        #expect(await seen.next() == "subscribe AAPL")
        // The subscribe has not returned: the unsubscribe must still be waiting. Let the subscribe finish only once
        // its continuation is there, then the unsubscribe follows.
        while backend.release.withLock({ $0 == nil }) { await Task.yield() }
        for _ in 0..<1_000 { await Task.yield() }
        #expect(backend.unsubscribes.withLock { $0 } == 0, "the unsubscribe overtook the subscribe")
        backend.release.withLock { $0?.resume(); $0 = nil }
        #expect(await seen.next() == "unsubscribe AAPL")
    }
}
