import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// 10197: a competing live session (the same user logged in elsewhere) takes the data; ticks resuming ends it.
@Suite("Competing session", .timeLimit(.minutes(2)))
struct CompetingSessionTests {
    @Test func competingSessionDegradesUntilTicksResume() async throws {
        let instruments = [Instruments.aapl, Instruments.msft]
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitFreshQuotes(symbols)

            await h.events.skip()
            await h.simulator.inject(.competingSession)
            let down = try await h.events.collect("degraded(competingSession)") {
                $0.connectionState == .degraded([.competingSession])
            }
            #expect(Set(down.compactMap(\.quote).filter(\.stale).map(\.symbol)) == Set(symbols))
            // The streams are not ended: 10197 is not the symbol's fault.
            for symbol in symbols { #expect(await h.provider.symbolStatus(symbol) == .streaming, "\(symbol)") }

            await h.simulator.inject(.competingSessionEnded)
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(symbols)
            #expect(try await h.simulator.status().subscriptions == symbols.count)
        }
    }
}
