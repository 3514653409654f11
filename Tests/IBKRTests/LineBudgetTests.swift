import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// The market-data line budget: symbols beyond it are over budget, and a freed line goes to the next in line.
@Suite("Line budget", .timeLimit(.minutes(2)))
struct LineBudgetTests {
    static let five: [Instrument] = ["AAPL", "MSFT", "AMZN", "GOOGL", "NVDA"].map { .stock($0) }

    @Test func beyondTheBudgetIsOverBudgetUntilALineFrees() async throws {
        try await withSimulatorAndProvider(provider: { $0.lineBudget = 3 }, subscribe: Self.five) { h in
            try await h.events.awaitAll([
                "GOOGL over budget": { if case .symbolStatus("GOOGL", .overBudget) = $0 { true } else { false } },
                "NVDA over budget": { if case .symbolStatus("NVDA", .overBudget) = $0 { true } else { false } },
            ])
            try await h.events.awaitFreshQuotes(["AAPL", "MSFT", "AMZN"])
            for symbol in ["AAPL", "MSFT", "AMZN"] { #expect(await h.provider.symbolStatus(symbol) == .streaming) }
            for symbol in ["GOOGL", "NVDA"] {
                #expect(await h.provider.symbolStatus(symbol) == .overBudget)
                #expect(await h.provider.quote(symbol)?.hasPrice == false)
            }
            #expect(await h.provider.status().linesInUse == 3)
            #expect(try await h.simulator.status().subscriptions == 3)

            // Freeing a line promotes the earliest over-budget symbol, and only that one.
            await h.provider.unsubscribe(["AAPL"])
            try await h.events.awaitEvent("GOOGL streaming") {
                if case .symbolStatus("GOOGL", .streaming) = $0 { true } else { false }
            }
            try await h.events.awaitFreshQuotes(["GOOGL"])
            #expect(await h.provider.symbolStatus("NVDA") == .overBudget)
            #expect(await h.provider.symbolStatus("AAPL") == nil)
            #expect(await h.provider.status().linesInUse == 3)
            // The cancel went out before GOOGL's request: AAPL's line is released at TWS too.
            #expect(try await h.simulator.status().subscriptions == 3)
        }
    }

    /// TWS has fewer lines than the budget says: its 101 makes the symbol over budget and lowers the budget.
    @Test func twsError101MakesTheSymbolOverBudget() async throws {
        let three: [Instrument] = Array(Self.five.prefix(3))
        try await withSimulatorAndProvider(
            simulator: { $0.marketDataLines = 2 }, provider: { $0.lineBudget = 5 }, subscribe: three
        ) { h in
            try await h.events.awaitEvent("AMZN over budget through 101") {
                if case .symbolStatus("AMZN", .overBudget) = $0 { true } else { false }
            }
            try await h.events.awaitFreshQuotes(["AAPL", "MSFT"])
            #expect(await h.provider.symbolStatus("AAPL") == .streaming)
            #expect(await h.provider.symbolStatus("MSFT") == .streaming)
            #expect(await h.provider.symbolStatus("AMZN") == .overBudget)
            #expect(await h.provider.status().linesInUse == 2)
            let simulator = try await h.simulator.status()
            #expect(simulator.subscriptions == 2)
            // The four bootstrap farm notices and the one 101.
            #expect(simulator.errorsSent == 5)

            // A line freed at TWS goes to AMZN.
            await h.provider.unsubscribe(["AAPL"])
            try await h.events.awaitFreshQuotes(["AMZN"])
            #expect(await h.provider.symbolStatus("AMZN") == .streaming)
            #expect(try await h.simulator.status().subscriptions == 2)
        }
    }

    /// The hub's fair-share ranking decides who holds the lines: a better-ranked symbol takes the line of the
    /// worst-ranked one, which is cancelled at TWS and reported over budget for a fallback to serve.
    @Test func aBetterRankedSymbolTakesTheLineOfTheWorstRanked() async throws {
        try await withSimulatorAndProvider(provider: { $0.lineBudget = 3 }, subscribe: Array(Self.five.prefix(3))) { h in
            try await h.events.awaitFreshQuotes(["AAPL", "MSFT", "AMZN"])
            // AMZN ranked last, NVDA (not yet subscribed) second.
            await h.provider.prioritize(["AAPL", "NVDA", "MSFT", "GOOGL", "AMZN"])
            await h.provider.subscribe([.stock("NVDA")])
            try await h.events.awaitAll([
                "AMZN over budget": { if case .symbolStatus("AMZN", .overBudget) = $0 { true } else { false } },
                "NVDA streaming": { if case .symbolStatus("NVDA", .streaming) = $0 { true } else { false } },
            ])
            try await h.events.awaitFreshQuotes(["NVDA"])
            #expect(await h.provider.symbolStatus("AMZN") == .overBudget)
            #expect(await h.provider.status().linesInUse == 3)
            #expect(try await h.simulator.status().subscriptions == 3)

            // A new ranking with AMZN first gives its line back from the last-ranked holder (MSFT).
            await h.provider.prioritize(["AMZN", "AAPL", "NVDA", "MSFT"])
            try await h.events.awaitAll([
                "MSFT over budget": { if case .symbolStatus("MSFT", .overBudget) = $0 { true } else { false } },
                "AMZN streaming again": { if case .symbolStatus("AMZN", .streaming) = $0 { true } else { false } },
            ])
            try await h.events.awaitFreshQuotes(["AMZN"])
            #expect(await h.provider.symbolStatus("AMZN") == .streaming)
            #expect(await h.provider.symbolStatus("MSFT") == .overBudget)
            #expect(await h.provider.symbolStatus("AAPL") == .streaming)
            #expect(await h.provider.symbolStatus("NVDA") == .streaming)
            #expect(try await h.simulator.status().subscriptions == 3)
        }
    }
}
