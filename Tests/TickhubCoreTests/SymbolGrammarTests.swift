import Testing
import TickhubCore

@Suite("Symbol grammar")
struct SymbolGrammarTests {
    @Test func stocksRouteSmartInUSD() throws {
        let aapl = try SymbolGrammar.parse("aapl")
        #expect(aapl.symbol == "AAPL")
        #expect(aapl.securityType == .stock)
        #expect(aapl.exchange == "SMART" && aapl.currency == "USD" && aapl.multiplier == 1)
        #expect(try SymbolGrammar.parse(" BRK B ").symbol == "BRK B")
    }

    @Test func forexPairsTradeOnIdealpro() throws {
        let pair = try SymbolGrammar.parse("EUR.USD")
        #expect(pair.securityType == .forex)
        #expect(pair.root == "EUR" && pair.currency == "USD" && pair.exchange == "IDEALPRO")
    }

    @Test func knownCoinsAreCryptoOnPaxos() throws {
        let btc = try SymbolGrammar.parse("BTC")
        #expect(btc.securityType == .crypto && btc.exchange == "PAXOS" && btc.currency == "USD")
        #expect(try SymbolGrammar.parse("BTCX").securityType == .stock)
    }

    @Test(arguments: ["SPY 250321P00250000", "SPY   250321P00250000", "spy 250321p00250000"])
    func occOptions(text: String) throws {
        let option = try SymbolGrammar.parse(text)
        #expect(option.symbol == "SPY 250321P00250000")
        #expect(option.securityType == .option && option.multiplier == 100)
        let terms = try #require(option.option)
        #expect(terms.underlying == "SPY" && terms.expiry == "20250321" && terms.right == .put && terms.strike == 250)
    }

    @Test func fractionalStrikesSurviveTheRoundTrip() throws {
        let option = try SymbolGrammar.parse("AAPL 260116C00187500")
        #expect(option.option?.strike == 187.5)
        #expect(option.symbol == "AAPL 260116C00187500")
    }

    @Test func twoSpellingsOfOneInstrumentAreEqual() throws {
        #expect(try SymbolGrammar.parse("spy   250321P00250000") == SymbolGrammar.parse("SPY 250321P00250000"))
    }

    @Test(arguments: [
        ("", SymbolGrammar.Rejection.empty),
        (String(repeating: "A", count: 40), .tooLong(40)),
        ("AA$L", .invalidCharacters("AA$L")),
        ("<script>", .invalidCharacters("<script>")),
        ("SPY 251321P00250000", .malformedOption("SPY 251321P00250000")),
        ("SPY 250321X00250000", .malformedOption("SPY 250321X00250000")),
        ("A B C", .invalidCharacters("A B C")),
        ("SPY 250230C00600000", .impossibleExpiry("SPY 250230C00600000")),
        ("SPY 250431C00600000", .impossibleExpiry("SPY 250431C00600000")),
        ("SPY 250229C00600000", .impossibleExpiry("SPY 250229C00600000")),
        ("EUR.USD.JPY", .malformedPair("EUR.USD.JPY")),
        ("EUR.USD.", .malformedPair("EUR.USD.")),
    ])
    func rejectsWithAReason(text: String, expected: SymbolGrammar.Rejection) {
        #expect(throws: expected) { try SymbolGrammar.parse(text) }
    }

    @Test func leapDaysExistInLeapYearsOnly() throws {
        #expect(try SymbolGrammar.parse("SPY 280229C00600000").symbol == "SPY 280229C00600000")
        #expect(throws: SymbolGrammar.Rejection.impossibleExpiry("SPY 270229C00600000")) { try SymbolGrammar.parse("SPY 270229C00600000") }
        #expect(try SymbolGrammar.parse("BRK.B").symbol == "BRK.B", "one dot is still a ticker")
    }
}
