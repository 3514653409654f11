import TastyTrade
import TickhubCore
import Testing

@Suite("TastyTrade symbols")
struct TastySymbolTests {
    @Test func orderSymbolsInTickhubsGrammar() throws {
        #expect(try TastySymbol.instrument(orderSymbol: "AAPL", type: .equity).get() == .stock("AAPL"))
        #expect(try TastySymbol.instrument(orderSymbol: "BRK/B", type: .equity).get().symbol == "BRK B")
        let option = try TastySymbol.instrument(orderSymbol: "SPY   230731C00393000", type: .equityOption).get()
        #expect(option.symbol == "SPY 230731C00393000" && option.multiplier == 100)
        #expect(option.option == OptionTerms(underlying: "SPY", expiry: "20230731", right: .call, strike: 393))
        // A six-letter root has no padding.
        #expect(try TastySymbol.instrument(orderSymbol: "GOOGLL230818P00002500", type: .equityOption).get().option?.strike == 2.5)
        #expect(try TastySymbol.instrument(orderSymbol: "BTC/USD", type: .cryptocurrency).get() == .crypto("BTC"))
    }

    @Test func unmappedWithTheirReason() {
        #expect(TastySymbol.instrument(orderSymbol: "/ESU3", type: .future) == .failure(.init("futures are not in Tickhub's symbol grammar")))
        #expect(TastySymbol.instrument(orderSymbol: "./ESU3 E3AN3 230717C5600", type: .futureOption).isFailure)
        #expect(TastySymbol.instrument(orderSymbol: "/ESZ6", type: nil).isFailure, "a future by its shape when the type is unknown")
        #expect(TastySymbol.instrument(orderSymbol: "DOGE/USD", type: .cryptocurrency).isFailure)
        #expect(TastySymbol.instrument(orderSymbol: "BTC/EUR", type: .cryptocurrency).isFailure)
        #expect(TastySymbol.instrument(orderSymbol: "SPY   231332C00393000", type: .equityOption).isFailure)
        #expect(TastySymbol.instrument(orderSymbol: "", type: .equity).isFailure)
        #expect(TastySymbol.instrument(orderSymbol: "A$B", type: .equity).isFailure)
    }

    @Test func streamerSymbols() {
        #expect(TastySymbol.streamerSymbol(.stock("AAPL")) == "AAPL")
        #expect(TastySymbol.streamerSymbol(.stock("BRK B")) == "BRK/B")
        #expect(TastySymbol.streamerSymbol(.option(OptionTerms(underlying: "SPY", expiry: "20230731", right: .call, strike: 393))) == ".SPY230731C393")
        #expect(TastySymbol.streamerSymbol(.option(OptionTerms(underlying: "F", expiry: "20261218", right: .put, strike: 2.5))) == ".F261218P2.5")
        #expect(TastySymbol.streamerSymbol(.crypto("BTC")) == "BTC/USD:CXTALP")
        #expect(TastySymbol.streamerSymbol(.forex(base: "EUR", quote: "USD")) == nil)
        #expect(TastySymbol.streamerSymbol(.stock("VOD", currency: "GBP")) == nil)
    }

    @Test func streamerSymbolsBack() {
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: "AAPL") == "AAPL")
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: "BRK/B") == "BRK B")
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: ".SPY230731C393") == "SPY 230731C00393000")
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: ".F261218P2.5") == "F 261218P00002500")
        #expect(TastySymbol.tickhubSymbol(streamerSymbol: "BTC/USD:CXTALP") == "BTC")
        for foreign in ["/ESU23:XCME", "./E3AN23C5600:XCME", "DOGE/USD:CXTALP", ".SPY230731C", ".SPY230731X393", ".SPY231332C393",
                        ".SPY230731C393.0", ".SPY230731C0", "", "EUR/USD"] {
            #expect(TastySymbol.tickhubSymbol(streamerSymbol: foreign) == nil, "\(foreign)")
        }
    }

    @Test func eachMappedInstrumentRoundTripsThroughItsStreamerSymbol() throws {
        for order in ["AAPL", "BRK/B", "SPY   230731C00393000", "SPXW  261218P05000500", "BTC/USD", "ETH/USD"] {
            let instrument = try TastySymbol.instrument(orderSymbol: order, type: nil).get()
            let streamer = try #require(TastySymbol.streamerSymbol(instrument))
            #expect(TastySymbol.tickhubSymbol(streamerSymbol: streamer) == instrument.symbol, "\(order) → \(streamer)")
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
