import Testing
import TickhubCore

@Suite("Provider symbols")
struct ProviderSymbolsTests {
    func parse(_ text: String) throws -> Instrument { try SymbolGrammar.parse(text) }

    // MARK: Yahoo, forward

    @Test func stocksKeepTheirTickerAndTheClassSpaceBecomesADash() throws {
        #expect(ProviderSymbols.yahooSymbol(for: try parse("AAPL")) == "AAPL")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("BRK B")) == "BRK-B")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("BF B")) == "BF-B")
        // A SMART stock typed with a Yahoo suffix passes through unchanged.
        #expect(ProviderSymbols.yahooSymbol(for: try parse("OCDO.L")) == "OCDO.L")
    }

    @Test func forexPairsBecomeEqualsX() throws {
        #expect(ProviderSymbols.yahooSymbol(for: try parse("EUR.USD")) == "EURUSD=X")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("USD.JPY")) == "USDJPY=X")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("GBP.CHF")) == "GBPCHF=X")
    }

    @Test func cryptoIsQuotedAgainstUSD() throws {
        #expect(ProviderSymbols.yahooSymbol(for: try parse("BTC")) == "BTC-USD")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("ETH")) == "ETH-USD")
    }

    @Test(arguments: [("SPX", "^GSPC"), ("NDX", "^NDX"), ("INDU", "^DJI"), ("VIX", "^VIX"), ("RUT", "^RUT")])
    func indicesMapThroughTheTable(ibkr: String, yahoo: String) throws {
        let index = try #require(ProviderSymbols.indexInstrument(ibkr))
        #expect(index.securityType == .index && index.symbol == ibkr && index.currency == "USD")
        #expect(ProviderSymbols.yahooSymbol(for: index) == yahoo)
        #expect(ProviderSymbols.instrument(fromYahoo: yahoo) == index)
        // Built by hand, as a future SymbolGrammar might, it maps the same way.
        let handMade = Instrument(symbol: ibkr, securityType: .index, root: ibkr, currency: "USD", exchange: "X")
        #expect(ProviderSymbols.yahooSymbol(for: handMade) == yahoo)
        #expect(ProviderSymbols.alphaVantageSymbol(for: index) == nil)
    }

    @Test func djxIsNotTheDowAverageSoItDoesNotMap() {
        // DJX is 1/100 of the Dow: quoting it from ^DJI would be 100× off.
        let djx = Instrument(symbol: "DJX", securityType: .index, root: "DJX", currency: "USD", exchange: "CBOE")
        #expect(ProviderSymbols.yahooSymbol(for: djx) == nil)
        #expect(ProviderSymbols.indexInstrument("DJX") == nil)
        #expect(ProviderSymbols.instrument(fromYahoo: "^DJI")?.symbol == "INDU")
        #expect(ProviderSymbols.instrument(fromYahoo: "^IXIC") == nil)
    }

    @Test func optionsUseTheOCCSymbolWithoutSpaces() throws {
        #expect(ProviderSymbols.yahooSymbol(for: try parse("SPY 250321P00250000")) == "SPY250321P00250000")
        #expect(ProviderSymbols.yahooSymbol(for: try parse("AAPL 260116C00187500")) == "AAPL260116C00187500")
        #expect(ProviderSymbols.instrument(fromYahoo: "SPY250321P00250000") == (try parse("SPY 250321P00250000")))
        #expect(ProviderSymbols.instrument(fromYahoo: "aapl260116c00187500")?.option?.strike == 187.5)
    }

    @Test func futuresAreNotMapped() {
        let future = Instrument(symbol: "GC", securityType: .future, root: "GC", currency: "USD", exchange: "COMEX")
        #expect(ProviderSymbols.yahooSymbol(for: future) == nil)
        #expect(ProviderSymbols.alphaVantageSymbol(for: future) == nil)
        #expect(ProviderSymbols.instrument(fromYahoo: "GC=F") == nil)
    }

    @Test func nonUSListingsTakeTheExchangeSuffix() {
        let ocado = Instrument(symbol: "OCDO", securityType: .stock, root: "OCDO", currency: "GBP", exchange: "LSE")
        #expect(ProviderSymbols.yahooSymbol(for: ocado) == "OCDO.L")
        #expect(ProviderSymbols.alphaVantageSymbol(for: ocado) == "OCDO.LON")
        #expect(ProviderSymbols.instrument(fromYahoo: "OCDO.L") == ocado)
        #expect(ProviderSymbols.instrument(fromAlphaVantage: "OCDO.LON") == ocado)
        let equinor = Instrument(symbol: "EQNR", securityType: .stock, root: "EQNR", currency: "NOK", exchange: "OSE")
        #expect(ProviderSymbols.yahooSymbol(for: equinor) == "EQNR.OL")
        #expect(ProviderSymbols.alphaVantageSymbol(for: equinor) == nil)  // suffix unknown: unsupported
    }

    // MARK: Yahoo, reverse

    @Test func reverseLookupsOfWhatYahooSends() throws {
        #expect(ProviderSymbols.instrument(fromYahoo: "AAPL") == (try parse("AAPL")))
        #expect(ProviderSymbols.instrument(fromYahoo: "BRK-B") == (try parse("BRK B")))
        #expect(ProviderSymbols.instrument(fromYahoo: "EURUSD=X") == (try parse("EUR.USD")))
        #expect(ProviderSymbols.instrument(fromYahoo: "eurusd=x") == (try parse("EUR.USD")))
        #expect(ProviderSymbols.instrument(fromYahoo: "USDJPY=X") == (try parse("USD.JPY")))
        #expect(ProviderSymbols.instrument(fromYahoo: "JPY=X") == (try parse("USD.JPY")))
        #expect(ProviderSymbols.instrument(fromYahoo: "BTC-USD") == (try parse("BTC")))
        #expect(ProviderSymbols.instrument(fromYahoo: "DOGE-USD") == nil)  // not a coin IBKR trades
        #expect(ProviderSymbols.instrument(fromYahoo: "EURUSD1=X") == nil)
        #expect(ProviderSymbols.instrument(fromYahoo: "") == nil)
        #expect(ProviderSymbols.instrument(fromYahoo: "A B") == nil)
        #expect(ProviderSymbols.instrument(fromYahoo: "^FOO") == nil)
    }

    @Test(arguments: [
        "AAPL", "BRK B", "BF B", "EUR.USD", "USD.JPY", "GBP.USD", "BTC", "ETH", "SPY 250321P00250000",
        "AAPL 260116C00187500", "SPY 250321C00000500",
    ])
    func everyParsedSymbolRoundTripsThroughYahoo(text: String) throws {
        let instrument = try parse(text)
        let yahoo = try #require(ProviderSymbols.yahooSymbol(for: instrument))
        #expect(ProviderSymbols.instrument(fromYahoo: yahoo) == instrument)
        #expect(ProviderSymbols.yahooSymbol(yahoo, matches: instrument))
    }

    @Test func responsesMatchTheirRequest() throws {
        let usdjpy = try parse("USD.JPY")
        #expect(ProviderSymbols.yahooSymbol("USDJPY=X", matches: usdjpy))
        #expect(ProviderSymbols.yahooSymbol("usdjpy=x", matches: usdjpy))
        #expect(ProviderSymbols.yahooSymbol("JPY=X", matches: usdjpy))
        #expect(!ProviderSymbols.yahooSymbol("EURUSD=X", matches: usdjpy))
        #expect(ProviderSymbols.yahooSymbol("BRK-B", matches: try parse("BRK B")))
        #expect(!ProviderSymbols.yahooSymbol("BRK-A", matches: try parse("BRK B")))
        let future = Instrument(symbol: "GC", securityType: .future, root: "GC", currency: "USD", exchange: "COMEX")
        #expect(!ProviderSymbols.yahooSymbol("GC=F", matches: future))
    }

    // MARK: Alpha Vantage

    @Test func alphaVantageQuotesStocksOnly() throws {
        #expect(ProviderSymbols.alphaVantageSymbol(for: try parse("IBM")) == "IBM")
        #expect(ProviderSymbols.alphaVantageSymbol(for: try parse("BRK B")) == "BRK-B")
        #expect(ProviderSymbols.alphaVantageSymbol(for: try parse("EUR.USD")) == nil)
        #expect(ProviderSymbols.alphaVantageSymbol(for: try parse("BTC")) == nil)
        #expect(ProviderSymbols.alphaVantageSymbol(for: try parse("SPY 250321P00250000")) == nil)
        #expect(ProviderSymbols.instrument(fromAlphaVantage: "BRK-B") == (try parse("BRK B")))
        #expect(ProviderSymbols.instrument(fromAlphaVantage: "ibm") == (try parse("IBM")))
        #expect(ProviderSymbols.instrument(fromAlphaVantage: "") == nil)
    }

    // MARK: Percent-encoding

    @Test func pathSegmentsEncodeTheCaretButKeepEquals() {
        #expect(ProviderSymbols.percentEncodedPathSegment("^GSPC") == "%5EGSPC")
        #expect(ProviderSymbols.percentEncodedPathSegment("EURUSD=X") == "EURUSD=X")
        #expect(ProviderSymbols.percentEncodedPathSegment("GC=F") == "GC=F")
        #expect(ProviderSymbols.percentEncodedPathSegment("BRK-B") == "BRK-B")
        #expect(ProviderSymbols.percentEncodedPathSegment("OCDO.L") == "OCDO.L")
        #expect(ProviderSymbols.percentEncodedPathSegment("A B/C?%") == "A%20B%2FC%3F%25")
        #expect(ProviderSymbols.percentEncodedPathSegment("É") == "%C3%89")
    }

    @Test func queryValuesEncodeEqualsAndCommas() {
        #expect(ProviderSymbols.percentEncodedQueryValue("GC=F") == "GC%3DF")
        #expect(ProviderSymbols.percentEncodedQueryValue("AAPL,BABA") == "AAPL%2CBABA")
        #expect(ProviderSymbols.percentEncodedQueryValue("^GSPC&x=1") == "%5EGSPC%26x%3D1")
        #expect(ProviderSymbols.percentEncodedQueryValue("BRK-B") == "BRK-B")
    }
}
