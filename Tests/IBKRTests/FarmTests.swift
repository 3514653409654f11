import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// A market-data farm goes down (2103) and comes back (2104).
@Suite("Market-data farm", .timeLimit(.minutes(2)))
struct FarmTests {
    @Test func farmBrokenDegradesAndRestoredFreshensQuotes() async throws {
        let instruments = [Instruments.aapl, Instruments.msft, Instruments.eurusd, Instruments.btc]
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitFreshQuotes(symbols)

            await h.events.skip()
            await h.simulator.inject(.farmBroken)
            let down = try await h.events.collect("degraded(farmBroken)") { $0.connectionState == .degraded([.farmBroken]) }
            #expect(Set(down.compactMap(\.quote).filter(\.stale).map(\.symbol)) == Set(symbols))
            for symbol in symbols {
                let quote = await h.provider.quote(symbol)
                #expect(quote?.stale == true, "\(symbol)")
                // Stale, not erased: the last values are still shown.
                #expect(quote?.hasPrice == true, "\(symbol)")
            }
            #expect(await h.provider.status().state == .degraded([.farmBroken]))

            let restored = ContinuousClock.now
            await h.simulator.inject(.farmRestored)
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(symbols)
            reportRecovery("2103 then 2104", ContinuousClock.now - restored, symbols: symbols.count)
            for symbol in symbols { #expect(await h.provider.quote(symbol)?.stale == false, "\(symbol)") }

            // Same connection, same subscriptions: nothing was re-requested.
            let simulator = try await h.simulator.status()
            #expect(simulator.connectionsAccepted == 1)
            #expect(simulator.subscriptions == symbols.count)
            #expect(await h.provider.status().connections == 1)
        }
    }

    /// A farm already down when the provider connects: degraded from the start, ready when it comes back.
    @Test func farmDownAtConnectIsDegradedFromTheStart() async throws {
        try await withSimulatorAndProvider(provider: { $0.autoConnect = false }, subscribe: [Instruments.aapl]) { h in
            await h.simulator.inject(.farmBroken)
            await h.provider.connect()
            try await h.events.awaitState(.degraded([.farmBroken]))
            await h.simulator.inject(.farmRestored)
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(["AAPL"])
        }
    }
}
