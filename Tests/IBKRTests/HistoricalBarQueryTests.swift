import IBKR
import TWSProtocol
import Testing
import TickhubCore

/// A chart's bar request in TWS's terms, and TWS's bars read back.
@Suite("HistoricalBarQuery")
struct HistoricalBarQueryTests {
    /// Wednesday 2 December 2026 16:00:00 UTC (11:00 New York).
    static let now: Int64 = 1_796_227_200_000
    static let minute: Int64 = 60_000
    static let day: Int64 = 86_400_000

    @Test func aDayOfMinutesUpToNowIsASecondsDurationEndingNow() throws {
        let request = BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: Self.now - Self.day, to: Self.now)
        let query = try #require(HistoricalBarQuery(request, now: Self.now + 1_500))
        #expect(query.endDateTime == "")
        #expect(query.barSize == "1 min")
        #expect(query.duration == "86400 S")
        #expect(query.whatToShow == "TRADES")
        #expect(query.useRTH)
        #expect(query.formatDate == 2)
        #expect(!query.keepUpToDate)
        // The same chart opened again 20 s later: the same terms, so the two are shared.
        let again = BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: Self.now - Self.day + 20_000, to: Self.now + 20_000)
        #expect(HistoricalBarQuery(again, now: Self.now + 20_000)?.terms == query.terms)
    }

    @Test func aSpanInThePastEndsAtItsEndInUTC() throws {
        let request = BarRequest(instrument: .stock("AAPL"), interval: .fiveMinutes, from: Self.now - 3 * Self.day, to: Self.now - Self.day)
        let query = try #require(HistoricalBarQuery(request, now: Self.now))
        #expect(query.endDateTime == "20261201-16:00:00")
        // Two calendar days of five-minute bars: three trading days back from the end cover them.
        #expect(query.duration == "3 D")
        #expect(query.barSize == "5 mins")
    }

    @Test func fxShowsMidpointsAroundTheClock() throws {
        let request = BarRequest(instrument: .forex(base: "EUR", quote: "USD"), interval: .oneHour, from: Self.now - Self.day, to: Self.now)
        let query = try #require(HistoricalBarQuery(request, now: Self.now))
        #expect(query.whatToShow == "MIDPOINT")
        #expect(!query.useRTH)
        #expect(query.barSize == "1 hour")
        #expect(HistoricalBarQuery.whatToShow(.crypto) == "TRADES")
    }

    @Test func dailyDurations() {
        #expect(HistoricalBarQuery.duration(seconds: 86_400 * 5, interval: .oneDay) == "6 D")
        #expect(HistoricalBarQuery.duration(seconds: 86_400 * 90, interval: .oneDay) == "14 W")
        #expect(HistoricalBarQuery.duration(seconds: 86_400 * 400, interval: .oneDay) == "2 Y")
        #expect(HistoricalBarQuery.duration(seconds: 10, interval: .oneMinute) == "60 S")
        #expect(HistoricalBarQuery.duration(seconds: 3_601, interval: .thirtyMinutes) == "3601 S")
        #expect(HistoricalBarQuery.duration(seconds: 86_401, interval: .oneMinute) == "3 D")
    }

    @Test func aSpanNotBegunYetAsksNothing() {
        let request = BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: Self.now + Self.minute, to: Self.now + 2 * Self.day)
        #expect(HistoricalBarQuery(request, now: Self.now) == nil)
    }

    @Test func aFollowAsksFromTheLastBarDeliveredWithUpdates() {
        let fresh = HistoricalBarQuery(following: .stock("AAPL"), interval: .oneMinute, since: nil, now: Self.now + 30_000)
        #expect(fresh.keepUpToDate)
        #expect(fresh.endDateTime == "")
        // From the start of the bar before the forming one.
        #expect(fresh.duration == "90 S")
        let resumed = HistoricalBarQuery(following: .stock("AAPL"), interval: .oneMinute, since: Self.now - 10 * Self.minute, now: Self.now + 30_000)
        #expect(resumed.duration == "630 S")
    }

    @Test func barTimes() {
        // formatDate 2: Unix seconds; intraday bars labelled by their interval's start.
        #expect(HistoricalBarQuery.barTime("1796227200", interval: .oneMinute) == Self.now)
        // IBKR's 09:30 hourly bar is the hub's 09:00 one (14:00 UTC).
        #expect(HistoricalBarQuery.barTime("1796220600", interval: .oneHour) == 1_796_220_000_000)
        // Daily bars: 00:00 UTC of the date.
        #expect(HistoricalBarQuery.barTime("20261202", interval: .oneDay) == 1_796_169_600_000)
        // formatDate 1 with a zone name.
        #expect(HistoricalBarQuery.barTime("20261202 11:00:00 US/Eastern", interval: .oneMinute) == Self.now)
        #expect(HistoricalBarQuery.barTime("20261202 16:00:00", interval: .oneMinute) == Self.now)
        #expect(HistoricalBarQuery.barTime("yesterday", interval: .oneMinute) == nil)
        #expect(HistoricalBarQuery.barTime("20261302", interval: .oneDay) == nil)
    }

    @Test func barsAreCandlesOrDropped() {
        let raw = [
            HistoricalBar(time: "1796227200", open: 10, high: 11, low: 9, close: 10.5, volume: 100, wap: 10, barCount: 5),
            // High below low: not a candle.
            HistoricalBar(time: "1796227260", open: 10, high: 9, low: 11, close: 10, volume: 100, wap: 10, barCount: 5),
            HistoricalBar(time: "1796227320", open: 10.5, high: 10.6, low: 10.4, close: 10.5, volume: -1, wap: -1, barCount: -1),
        ]
        let bars = HistoricalBarQuery.bars(raw, interval: .oneMinute, whatToShow: "TRADES")
        #expect(bars.map(\.time) == [Self.now, Self.now + 2 * Self.minute])
        #expect(bars[0].volume == 100)
        #expect(bars[1].volume == nil)
        // Midpoints have no volume whatever the field says.
        #expect(HistoricalBarQuery.bars(raw, interval: .oneMinute, whatToShow: "MIDPOINT")[0].volume == nil)
        // Two bars on one hub interval (IBKR's 09:30 and a 09:00 one) merge into one candle.
        let hourly = HistoricalBarQuery.bars([
            HistoricalBar(time: "1796220000", open: 10, high: 11, low: 9, close: 10.5, volume: 1, wap: 10, barCount: 1),
            HistoricalBar(time: "1796221800", open: 10.5, high: 12, low: 10, close: 11, volume: 2, wap: 11, barCount: 1),
        ], interval: .oneHour, whatToShow: "TRADES")
        #expect(hourly == [Bar(time: 1_796_220_000_000, open: 10, high: 12, low: 9, close: 11, volume: 3)])
    }
}
