import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// marketDataType 3: delayed data where the account lacks a live subscription, live data where it has one.
@Suite("Delayed data", .timeLimit(.minutes(2)))
struct DelayedDataTests {
    @Test func delayedOnlySymbolArrivesDelayedAndEntitledStaysLive() async throws {
        try await withSimulatorAndProvider(
            simulator: { $0.delayedOnlySymbols = ["TSLA"] },
            provider: { $0.marketDataType = 3 },
            subscribe: [.stock("TSLA"), Instruments.aapl]
        ) { h in
            let quotes = try await h.events.awaitFreshQuotes(["TSLA", "AAPL"]) { $0.bid != nil && $0.ask != nil }
            #expect(quotes["TSLA"]?.delayed == true)
            #expect(quotes["AAPL"]?.delayed == false)
            #expect(await h.provider.symbolStatus("TSLA") == .streaming)
            #expect(await h.provider.symbolStatus("AAPL") == .streaming)
            // Later updates keep each one's flag: delayed ticks keep TSLA delayed, live ticks never make AAPL delayed.
            for _ in 0..<3 {
                let later = try await h.events.awaitFreshQuotes(["TSLA", "AAPL"])
                #expect(later["TSLA"]?.delayed == true)
                #expect(later["AAPL"]?.delayed == false)
            }
            #expect(await h.provider.quote("TSLA")?.delayed == true)
            #expect(await h.provider.quote("AAPL")?.delayed == false)
        }
    }

    @Test func withLiveDataOnlyADelayedOnlySymbolEnds() async throws {
        try await withSimulatorAndProvider(
            simulator: { $0.delayedOnlySymbols = ["TSLA"] },
            subscribe: [.stock("TSLA"), Instruments.aapl]
        ) { h in
            try await h.events.awaitEvent("TSLA ended (10089)") {
                if case .symbolStatus("TSLA", .ended(.notEntitled(delayedAvailable: true))) = $0 { true } else { false }
            }
            try await h.events.awaitFreshQuotes(["AAPL"])
            #expect(await h.provider.quote("TSLA")?.hasPrice == false)
        }
    }
}
