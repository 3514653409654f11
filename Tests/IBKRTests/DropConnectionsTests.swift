import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// TWS closes every connection (a restart): the provider reconnects, resubscribes once, and quotes resume.
@Suite("Dropped connections", .timeLimit(.minutes(2)))
struct DropConnectionsTests {
    @Test func reconnectsAndResubscribesEverySymbolOnce() async throws {
        let instruments = Instruments.mixed + [Instruments.msft]
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitFreshQuotes(symbols)
            #expect(try await h.simulator.status().subscriptions == symbols.count)

            await h.events.skip()
            let injected = ContinuousClock.now
            await h.simulator.inject(.dropConnections)

            // Down: every quote is re-emitted stale before the state says reconnecting, and none is fresh.
            let down = try await h.events.collect("reconnecting") {
                if case .reconnecting = $0.connectionState { true } else { false }
            }
            let staleSymbols = Set(down.compactMap(\.quote).filter(\.stale).map(\.symbol))
            #expect(staleSymbols == Set(symbols))
            let untilReady = try await h.events.collect("ready again") { $0.connectionState == .ready }
            #expect(untilReady.compactMap(\.quote).allSatisfy { $0.stale }, "a fresh quote before the connection was back")

            let fresh = try await h.events.awaitFreshQuotes(symbols)
            reportRecovery("dropConnections", ContinuousClock.now - injected, symbols: symbols.count)
            #expect(fresh.values.allSatisfy { !$0.stale && $0.source == .ibkr })

            let status = await h.provider.status()
            #expect(status.state == .ready)
            #expect(status.connections == 2)
            #expect(status.linesInUse == symbols.count)
            let simulator = try await h.simulator.status()
            #expect(simulator.connections == 1)
            #expect(simulator.connectionsAccepted == 2)
            // One subscription per symbol: nothing duplicated, nothing left behind.
            #expect(simulator.subscriptions == symbols.count)
            // No request was refused (a reused ticker id gets 322): only the four bootstrap notices per connection.
            #expect(simulator.errorsSent == 4 * simulator.connectionsAccepted)
        }
    }

    /// Several restarts in a row: request ids keep rising, so none is ever refused as a duplicate.
    @Test func repeatedDropsNeverReuseARequest() async throws {
        let symbols = ["AAPL", "MSFT", "EUR.USD"]
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl, Instruments.msft, Instruments.eurusd]) { h in
            try await h.events.awaitFreshQuotes(symbols)
            for round in 1...3 {
                await h.events.skip()
                await h.simulator.inject(.dropConnections)
                try await h.events.awaitEvent("reconnecting (round \(round))") {
                    if case .reconnecting = $0.connectionState { true } else { false }
                }
                try await h.events.awaitState(.ready)
                try await h.events.awaitFreshQuotes(symbols)
            }
            #expect(await h.provider.status().connections == 4)
            let simulator = try await h.simulator.status()
            #expect(simulator.subscriptions == symbols.count)
            #expect(simulator.errorsSent == 4 * simulator.connectionsAccepted)
            // A restart may reset the socket (an I/O error), but nothing TWS sent was bad.
            let lastError = await h.provider.status().lastError
            #expect(lastError.map { !$0.contains("bad data") } ?? true, "\(lastError ?? "")")
        }
    }
}
