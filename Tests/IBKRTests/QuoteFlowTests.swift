import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// Quotes flow for every kind of instrument the provider streams.
@Suite("Quote flow", .timeLimit(.minutes(2)))
struct QuoteFlowTests {
    @Test func stockFXCryptoAndOptionQuotesFlow() async throws {
        let instruments = Instruments.mixed
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitState(.ready)
            let quotes = try await h.events.awaitFreshQuotes(symbols) { $0.bid != nil && $0.ask != nil }
            for symbol in symbols {
                let quote = try #require(quotes[symbol], "no quote for \(symbol)")
                let bid = try #require(quote.bid), ask = try #require(quote.ask)
                #expect(bid > 0 && bid < ask, "\(symbol): bid \(bid) ask \(ask)")
                #expect(quote.source == .ibkr, "\(symbol)")
                #expect(!quote.stale, "\(symbol)")
                #expect(!quote.delayed, "\(symbol)")
                #expect(quote.timestamp > 0, "\(symbol)")
                #expect(await h.provider.symbolStatus(symbol) == .streaming, "\(symbol)")
            }
            // Stocks trade: they carry a last price and session statistics too.
            try await h.events.awaitFreshQuotes(["AAPL"]) { $0.last != nil && $0.close != nil && $0.volume != nil }
            let status = await h.provider.status()
            #expect(status.state == .ready)
            #expect(status.linesInUse == 4)
            #expect(status.connections == 1)
            #expect(status.serverVersion == 176)
            #expect(status.accounts == ["DU1234567"])
            #expect(status.lastError == nil)
            #expect(try await h.simulator.status().subscriptions == 4)
        }
    }

    @Test func statusEventsGoPendingThenStreaming() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl]) { h in
            let events = try await h.events.collect("AAPL streaming") {
                if case .symbolStatus("AAPL", .streaming) = $0 { true } else { false }
            }
            let statuses = events.compactMap { event -> IBKRSymbolStatus? in
                if case let .symbolStatus("AAPL", status) = event { status } else { nil }
            }
            #expect(statuses == [.pending, .streaming])
            try await h.events.awaitFreshQuotes(["AAPL"])
        }
    }
}
