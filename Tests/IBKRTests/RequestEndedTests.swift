import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// Symbols IBKR cannot serve end with a reason; the others keep streaming.
@Suite("Ended requests", .timeLimit(.minutes(2)))
struct RequestEndedTests {
    @Test func unknownAndUnentitledSymbolsEndOthersStream() async throws {
        try await withSimulatorAndProvider(
            simulator: { $0.unentitledSymbols = ["NVDA"] },
            subscribe: [Instruments.aapl, .stock("ZZZZ"), .stock("NVDA"), Instruments.eurusd]
        ) { h in
            try await h.events.awaitEvent("ZZZZ ended as unknown") {
                if case .symbolStatus("ZZZZ", .ended(.unknownContract)) = $0 { true } else { false }
            }
            await h.events.skip()
            let nvda = try await h.events.awaitEvent("NVDA ended as not entitled") {
                if case .symbolStatus("NVDA", .ended(.notEntitled)) = $0 { true } else { false }
            }
            guard case .symbolStatus(_, .ended(.notEntitled(let delayedAvailable))) = nvda else { preconditionFailure() }
            #expect(!delayedAvailable)
            try await h.events.awaitFreshQuotes(["AAPL", "EUR.USD"])
            #expect(await h.provider.symbolStatus("ZZZZ") == .ended(.unknownContract))
            #expect(await h.provider.symbolStatus("NVDA") == .ended(.notEntitled(delayedAvailable: false)))
            #expect(await h.provider.symbolStatus("AAPL") == .streaming)
            #expect(await h.provider.symbolStatus("EUR.USD") == .streaming)
            // Ended symbols hold no line.
            #expect(await h.provider.status().linesInUse == 2)
            #expect(try await h.simulator.status().subscriptions == 2)
            // And the streams keep going after the errors.
            for _ in 0..<3 { try await h.events.awaitFreshQuotes(["AAPL", "EUR.USD"]) }
            #expect(await h.provider.status().state == .ready)
        }
    }
}
