import Testing
import TickhubCore

@Suite struct CandleSeriesTests {
    let minute: Int64 = 60_000
    /// 2026-12-02 15:00 UTC, a whole hour.
    let start: Int64 = 1_764_687_600_000

    func trade(_ price: Double, volume: Double?, symbol: String = "AAPL") -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr)
        quote.last = price
        quote.volume = volume
        return quote
    }

    @Test func theFormingCandleIsTheTradesThatMadeIt() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        series.backfill([Bar(time: start - minute, open: 10, high: 11, low: 9, close: 10.5, volume: 100)], source: .ibkr)
        let trades: [(Double, Double, Int64)] = [(10.6, 1_000, 1_000), (10.9, 1_050, 20_000), (10.2, 1_080, 40_000), (10.4, 1_100, 59_999)]
        for (price, volume, offset) in trades { _ = series.take(trade(price, volume: volume), at: start + offset) }
        let forming = try! #require(series.last)
        #expect(forming.time == start)
        #expect(forming.open == 10.6 && forming.high == 10.9 && forming.low == 10.2 && forming.close == 10.4)
        // The first quote only sets the day's volume; the next three traded 50, 30 and 20.
        #expect(forming.volume == 100)
        #expect(series.bars.count == 2)
        #expect(!series.lastComplete(now: start + 59_999))
        #expect(series.lastComplete(now: start + minute))
    }

    @Test func aNewMinuteOpensANewCandleAndLeavesTheLastComplete() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        _ = series.take(trade(10, volume: 500), at: start + 10)
        _ = series.take(trade(11, volume: 600), at: start + minute + 10)
        #expect(series.bars.map(\.time) == [start, start + minute])
        #expect(series.bars[0].close == 10)
        #expect(series.bars[1].open == 11 && series.bars[1].volume == 100)
    }

    @Test func aBookUpdateWithoutATradeChangesNothing() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        _ = series.take(trade(10, volume: 500), at: start)
        var book = trade(10, volume: 500)
        book.bid = 9.99
        #expect(series.take(book, at: start + 5) == nil)
    }

    @Test func aStaleQuoteNeverMovesACandle() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        _ = series.take(trade(10, volume: 500), at: start)
        var stale = trade(50, volume: 900)
        stale.stale = true
        #expect(series.take(stale, at: start + 5) == nil)
        #expect(series.last?.high == 10)
    }

    @Test func fxCandlesFollowTheMidpointAndHaveNoVolume() {
        var series = CandleSeries(key: BarKey(symbol: "EUR.USD", interval: .fiveMinutes), securityType: .forex)
        var quote = Quote(symbol: "EUR.USD", source: .ibkr)
        quote.bid = 1.1000
        quote.ask = 1.1002
        let taken = series.take(quote, at: start + 1)
        let bar = try! #require(taken)
        #expect(abs(bar.close - 1.1001) < 1e-12)
        #expect(bar.volume == nil)
        #expect(bar.time == start)
    }

    @Test func theProvidersBarTakesThePlaceOfTheBuiltOne() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        _ = series.take(trade(10, volume: 500), at: start)
        _ = series.take(trade(12, volume: 600), at: start + 1_000)
        let own = Bar(time: start, open: 9.9, high: 12.1, low: 9.8, close: 12, volume: 140)
        #expect(series.correct(with: own, source: .ibkr) == own)
        #expect(series.bars == [own])
        // Trades after the correction go on from the provider's figures.
        _ = series.take(trade(12.5, volume: 610), at: start + 2_000)
        #expect(series.last?.high == 12.5 && series.last?.volume == 150)
        // A bar that cannot be (high below low) is refused.
        #expect(series.correct(with: Bar(time: start, open: 1, high: 1, low: 2, close: 1), source: .ibkr) == nil)
    }

    @Test func aBackfillKeepsTheCandlesBuiltAfterIt() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock)
        _ = series.take(trade(10, volume: 500), at: start + 2 * minute)
        let history = (0..<2).map { Bar(time: start + Int64($0) * minute, open: 9, high: 9.5, low: 8.5, close: 9, volume: 10) }
        series.backfill(history, source: .yahoo)
        #expect(series.bars.map(\.time) == [start, start + minute, start + 2 * minute])
        #expect(series.source == .yahoo)
    }

    @Test func theSeriesKeepsItsLimit() {
        var series = CandleSeries(key: BarKey(symbol: "AAPL", interval: .oneMinute), securityType: .stock, limit: 3)
        series.backfill((0..<5).map { Bar(time: start + Int64($0) * minute, open: 9, high: 9, low: 9, close: 9) }, source: .ibkr)
        #expect(series.bars.map(\.time) == [start + 2 * minute, start + 3 * minute, start + 4 * minute])
        #expect(series.bars(from: start + 3 * minute, to: start + 4 * minute).map(\.time) == [start + 3 * minute])
    }

    @Test func intervalsStartOnWholeMultiples() {
        #expect(BarInterval.fiveMinutes.start(of: start + 7 * minute) == start + 5 * minute)
        #expect(BarInterval.oneHour.start(of: start + 59 * minute) == start)
        #expect(BarInterval.oneDay.start(of: start) == 1_764_633_600_000)
        #expect(BarInterval(wire: "2m") == nil)
    }
}
