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
            // The two end in whichever order TWS answers them: the first of either, then the other.
            var endings: [String: IBKRSymbolStatus] = [:]
            for _ in 0..<2 {
                let waiting = Set(["ZZZZ", "NVDA"]).subtracting(endings.keys)
                let event = try await h.events.awaitEvent("\(waiting.sorted().joined(separator: " and ")) ended") {
                    if case let .symbolStatus(symbol, .ended) = $0 { waiting.contains(symbol) } else { false }
                }
                guard case let .symbolStatus(symbol, status) = event else { preconditionFailure() }
                endings[symbol] = status
            }
            #expect(endings["ZZZZ"] == .ended(.unknownContract))
            guard case .ended(.notEntitled(let delayedAvailable)) = endings["NVDA"] else {
                Issue.record("NVDA ended as \(String(describing: endings["NVDA"])), not as not entitled")
                return
            }
            await h.events.skip()
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
