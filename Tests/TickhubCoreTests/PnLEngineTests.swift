import Testing
import TickhubCore

@Suite("P&L engine")
struct PnLEngineTests {
    func quote(_ symbol: String, bid: Double?, ask: Double?, last: Double?, close: Double? = nil, stale: Bool = false) -> Quote {
        var q = Quote(symbol: symbol, source: .ibkr, timestamp: 1, stale: stale)
        q.bid = bid
        q.ask = ask
        q.last = last
        q.close = close
        return q
    }

    // MARK: Marks

    @Test func lastInsideTheMarketIsTheMark() {
        #expect(PnLEngine.mark(quote("AAPL", bid: 99.9, ask: 100.1, last: 100))?.method == .last)
    }

    @Test func lastOutsideTheMarketGivesTheMidpoint() {
        let mark = PnLEngine.mark(quote("AAPL", bid: 101, ask: 101.2, last: 100))
        #expect(mark?.method == .midpoint)
        #expect(abs((mark?.price ?? 0) - 101.1) < 1e-9)
    }

    @Test func noTradeGivesTheMidpoint() {
        #expect(PnLEngine.mark(quote("EUR.USD", bid: 1.08, ask: 1.0802, last: nil))?.method == .midpoint)
    }

    @Test func staleQuoteGivesAStaleMark() {
        let mark = PnLEngine.mark(quote("AAPL", bid: nil, ask: nil, last: 100, stale: true))
        #expect(mark == Mark(price: 100, method: .lastKnown, stale: true, source: .ibkr))
        #expect(PnLEngine.mark(quote("AAPL", bid: 99, ask: 101, last: 100, stale: true))?.stale == true)
    }

    @Test func noPricesNoMark() {
        #expect(PnLEngine.mark(quote("AAPL", bid: nil, ask: nil, last: nil)) == nil)
        #expect(PnLEngine.mark(nil) == nil)
    }

    // MARK: Positions

    @Test func longStock() {
        let h = Holding(broker: "ibkr", account: "DU1", instrument: .stock("AAPL"), quantity: 100, averageCost: 190.25)
        let v = PnLEngine.value(h, quote: quote("AAPL", bid: 229.99, ask: 230.01, last: 230, close: 228))
        #expect(v.marketValue == 23_000)
        #expect(abs((v.unrealizedPnL ?? 0) - 3_975) < 1e-9)
        #expect(abs((v.dailyPnL ?? 0) - 200) < 1e-9)
        #expect(abs((v.unrealizedPercent ?? 0) - 3_975 / 19_025 * 100) < 1e-9)
    }

    @Test func shortStockGainsWhenThePriceFalls() {
        let h = Holding(broker: "ibkr", account: "DU1", instrument: .stock("MSFT"), quantity: -50, averageCost: 430.10)
        let v = PnLEngine.value(h, quote: quote("MSFT", bid: 419.99, ask: 420.01, last: 420, close: 425))
        #expect(abs((v.marketValue ?? 0) - -21_000) < 1e-9)
        #expect(abs((v.unrealizedPnL ?? 0) - 505) < 1e-6)
        #expect(abs((v.dailyPnL ?? 0) - 250) < 1e-9)
        #expect((v.unrealizedPercent ?? 0) > 0)
    }

    @Test func ibkrOptionCostIsPerContract() throws {
        let option = try SymbolGrammar.parse("SPY 271217C00600000")
        // IBKR: average cost 1,050 per contract = 10.50 per share.
        let ibkr = Holding(broker: "ibkr", account: "DU1", instrument: option, quantity: 2, averageCost: 1_050, costIncludesMultiplier: true)
        let v = PnLEngine.value(ibkr, quote: quote(option.symbol, bid: 11.10, ask: 11.30, last: 11.20))
        #expect(abs((v.marketValue ?? 0) - 2_240) < 1e-9)
        #expect(abs((v.unrealizedPnL ?? 0) - 140) < 1e-9)
        // The same position from a broker that reports per share gives the same P&L.
        let other = Holding(broker: "tastytrade", account: "5WT1", instrument: option, quantity: 2, averageCost: 10.50)
        #expect(abs((PnLEngine.value(other, quote: quote(option.symbol, bid: 11.10, ask: 11.30, last: 11.20)).unrealizedPnL ?? 0) - 140) < 1e-9)
    }

    @Test func shortFutureWithItsMultiplier() {
        let es = Instrument(symbol: "ESZ6", securityType: .future, root: "ES", currency: "USD", exchange: "CME", multiplier: 50)
        let h = Holding(broker: "ibkr", account: "DU1", instrument: es, quantity: -1, averageCost: 6_000 * 50, costIncludesMultiplier: true)
        let v = PnLEngine.value(h, quote: quote("ESZ6", bid: 5_989.75, ask: 5_990.25, last: 5_990))
        #expect(abs((v.unrealizedPnL ?? 0) - 500) < 1e-9)
    }

    @Test func missingQuoteLeavesThePositionUnvalued() {
        let h = Holding(broker: "manual", account: "A", instrument: .stock("IBM"), quantity: 10, averageCost: 200)
        let v = PnLEngine.value(h, quote: nil)
        #expect(v.mark == nil && v.unrealizedPnL == nil && v.stale)
        #expect(PnLEngine.totals([v], by: { _ in "" })[""]?.unvalued == 1)
    }

    // MARK: Totals, FX, allocation

    @Test func totalsConvertThroughFXAndFlagWhatTheyCannot() throws {
        let eur = Holding(broker: "ibkr", account: "DU1", instrument: .stock("SAP", currency: "EUR"), quantity: 10, averageCost: 200)
        let gbp = Holding(broker: "ibkr", account: "DU1", instrument: .stock("VOD", currency: "GBP"), quantity: 100, averageCost: 0.7)
        let usd = Holding(broker: "manual", account: "A", instrument: .stock("AAPL"), quantity: 1, averageCost: 100)
        let rates = PnLEngine.usdRates(from: [quote("EUR.USD", bid: 1.0999, ask: 1.1001, last: nil)])
        #expect(abs((rates["EUR"] ?? 0) - 1.1) < 1e-9)
        let valuations = [
            PnLEngine.value(eur, quote: quote("SAP", bid: 209.9, ask: 210.1, last: 210), usdRates: rates),
            PnLEngine.value(gbp, quote: quote("VOD", bid: 0.79, ask: 0.81, last: 0.8), usdRates: rates),
            PnLEngine.value(usd, quote: quote("AAPL", bid: 109.9, ask: 110.1, last: 110), usdRates: rates),
        ]
        let total = try #require(PnLEngine.totals(valuations, by: { _ in "" })[""])
        #expect(total.positions == 3 && total.unvalued == 1)
        #expect(abs(total.marketValue - (2_100 * 1.1 + 110)) < 1e-6)
        #expect(abs(total.unrealizedPnL - (100 * 1.1 + 10)) < 1e-6)
        let byBroker = PnLEngine.totals(valuations, by: \.holding.broker)
        #expect(byBroker["ibkr"]?.positions == 2 && byBroker["manual"]?.positions == 1)
    }

    @Test func usdBasePairsInvert() {
        let rates = PnLEngine.usdRates(from: [quote("USD.JPY", bid: 149.99, ask: 150.01, last: nil)])
        #expect(abs((rates["JPY"] ?? 0) - 1 / 150) < 1e-12)
    }

    @Test func allocationUsesGrossValue() {
        let long = Holding(broker: "ibkr", account: "DU1", instrument: .stock("AAPL"), quantity: 10, averageCost: 100)
        let short = Holding(broker: "manual", account: "A", instrument: .stock("MSFT"), quantity: -10, averageCost: 100)
        let valuations = [
            PnLEngine.value(long, quote: quote("AAPL", bid: 299.9, ask: 300.1, last: 300)),
            PnLEngine.value(short, quote: quote("MSFT", bid: 99.9, ask: 100.1, last: 100)),
        ]
        let bySymbol = PnLEngine.allocation(valuations, by: \.holding.instrument.symbol)
        #expect(abs((bySymbol["AAPL"] ?? 0) - 0.75) < 1e-9)
        #expect(abs((bySymbol["MSFT"] ?? 0) - 0.25) < 1e-9)
    }

    @Test func theMidpointOfHugePricesIsFiniteAndOfOrdinaryOnesUnchanged() {
        let huge = quote("X", bid: .greatestFiniteMagnitude, ask: .greatestFiniteMagnitude, last: nil)
        #expect(huge.midpoint == .greatestFiniteMagnitude)
        let tiny = quote("X", bid: .leastNonzeroMagnitude, ask: .leastNonzeroMagnitude, last: nil)
        #expect(tiny.midpoint == .leastNonzeroMagnitude)
        for (bid, ask) in [(230.09, 230.11), (1.0841, 1.0843), (0.000001, 0.000003), (99999.99, 100000.01)] {
            #expect(quote("X", bid: bid, ask: ask, last: nil).midpoint == (bid + ask) / 2, "\(bid) \(ask)")
        }
    }
}
