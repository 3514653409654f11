import ClientPortal
import Foundation
import Testing
import TickhubCore

@Suite("Market data history")
struct HistoryTests {
    static let day: Int64 = 86_400_000

    @Test func dailyAnswerInIBKRsShape() throws {
        let answer = try MarketDataHistory.decode(try Recordings.data("marketdata_history_AAPL_1d.json"))
        #expect(answer.symbol == "AAPL" && answer.barLength == 86_400 && answer.volumeFactor == 100)
        // The row without a time is named, not guessed; times and volumes as strings are read.
        #expect(answer.rows.count == 5 && answer.refused == 1)
        #expect(answer.rows[2].t == 1_747_402_200_000 && answer.rows[2].v == 235_240.24)
        let bars = answer.bars(interval: .oneDay, hasVolume: true)
        // The fifth row's high is below its open: not a candle, left out.
        #expect(bars.count == 4)
        // Stamped 13:30 UTC, the session's open; the hub's daily bar is 00:00 UTC of the trading date.
        #expect(bars.map(\.time) == [1_747_180_800_000, 1_747_267_200_000, 1_747_353_600_000, 1_747_612_800_000])
        // IBKR reports US stocks' volume in hundreds (volumeFactor 100).
        #expect(bars[0].volume == 26_661_618)
        #expect(bars[0].open == 212.43 && bars[0].high == 213.94 && bars[0].low == 210.58 && bars[0].close == 212.33)
    }

    @Test func midpointBarsHaveNoVolume() throws {
        let answer = try MarketDataHistory.decode(try Recordings.data("marketdata_history_EURUSD_1h.json"))
        let bars = answer.bars(interval: .oneHour, hasVolume: false)
        #expect(bars.count == 3 && bars.allSatisfy { $0.volume == nil })
        #expect(bars[0].time == 1_764_885_600_000 && bars[0].close == 1.16431)
        // An FX day bar stamped 22:00 UTC the evening before is the next date's.
        let daily = MarketDataHistory(rows: [.init(t: 1_764_885_600_000, o: 1.1, h: 1.2, l: 1.0, c: 1.15)])
        #expect(daily.bars(interval: .oneDay, hasVolume: false)[0].time == 1_764_892_800_000)
    }

    @Test func intradayBarsAreLabelledByTheirIntervalInUTC() {
        // IBKR's first hourly bar of a US session starts 14:30 UTC; the hub's candle for it starts 14:00.
        let t: Int64 = 1_764_945_000_000  // 2025-12-05 14:30 UTC
        let answer = MarketDataHistory(volumeFactor: 100, rows: [
            .init(t: t, o: 10, h: 11, l: 9, c: 10.5, v: 12), .init(t: t + 1_800_000, o: 10.5, h: 12, l: 10, c: 11, v: 3),
        ])
        let bars = answer.bars(interval: .oneHour, hasVolume: true)
        #expect(bars.map(\.time) == [1_764_943_200_000, 1_764_946_800_000])
        // Two rows landing on one hour are merged.
        let merged = answer.bars(interval: .oneDay, hasVolume: true)
        #expect(merged.count == 1 && merged[0].high == 12 && merged[0].low == 9 && merged[0].close == 11 && merged[0].volume == 1_500)
    }

    @Test func errorsAndGarbage() {
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataHistory.decode(Data(#"{"error":"Chart data unavailable"}"#.utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataHistory.decode(Data("[1,2]".utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataHistory.decode(Data(#"{"data":{"o":1}}"#.utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataHistory.decode(Data("not json".utf8)) }
        // No data at all is no bars, not an error (a span without trading).
        #expect((try? MarketDataHistory.decode(Data(#"{"symbol":"AAPL"}"#.utf8)))?.rows == [])
        // Prices that are not numbers, negative times, a formatted figure: refused rows.
        let odd = try? MarketDataHistory.decode(Data(#"{"data":[{"o":"x","h":1,"l":1,"c":1,"t":1},{"o":1,"h":1,"l":1,"c":1,"t":-5},{"o":"1.2K","h":1,"l":1,"c":1,"t":9}]}"#.utf8))
        #expect(odd?.rows == [] && odd?.refused == 3)
        // A volume that overflows once multiplied by volumeFactor is no volume.
        let huge = MarketDataHistory(volumeFactor: 100, rows: [.init(t: 60_000, o: 1, h: 1, l: 1, c: 1, v: 1e307)])
        #expect(huge.bars(interval: .oneMinute, hasVolume: true).map(\.volume) == [nil])
    }

    @Test func encoderRoundTrips() throws {
        let answer = MarketDataHistory(
            symbol: "MSFT", text: "MICROSOFT CORP", barLength: 60, volumeFactor: 100, startTime: "20251205-14:30:00",
            availability: "S", rows: [.init(t: 1_764_945_000_000, o: 480.1, h: 480.5, l: 479.9, c: 480.2, v: 12.34)])
        let read = try MarketDataHistory.decode(Data(answer.json(timePeriod: "1h", outsideRth: false).utf8))
        #expect(read == answer)
    }

    @Test func termsFollowIBKRsVocabulary() {
        #expect(HistoryTerms.period(seconds: 1) == "1min")
        #expect(HistoryTerms.period(seconds: 1_800) == "30min")
        #expect(HistoryTerms.period(seconds: 1_801) == "1h")
        #expect(HistoryTerms.period(seconds: 8 * 3_600) == "8h")
        #expect(HistoryTerms.period(seconds: 8 * 3_600 + 1) == "1d")
        #expect(HistoryTerms.period(seconds: 1_000 * 86_400) == "1000d")
        #expect(HistoryTerms.period(seconds: 1_001 * 86_400) == "143w")
        #expect(BarInterval.allCases.map(HistoryTerms.bar) == ["1min", "5min", "15min", "30min", "1h", "1d"])
        for interval in BarInterval.allCases {
            #expect(HistoryTerms.seconds(bar: HistoryTerms.bar(interval)) == Int(interval.seconds))
        }
        #expect(HistoryTerms.seconds(period: "7h") == 25_200 && HistoryTerms.seconds(period: "31min") == nil)
        #expect(HistoryTerms.seconds(period: "0d") == nil && HistoryTerms.seconds(period: "1001d") == nil)
        #expect(HistoryTerms.seconds(bar: "7min") == nil)
    }

    @Test func aSpanIsSplitIntoRequestsIBKRAccepts() throws {
        let now: Int64 = 1_765_000_000_000
        // A day of minutes ending now: three requests of 8 hours, the newest without startTime (now), each older
        // one ending where the newer began.
        let request = BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: now - Self.day, to: now)
        let plan = HistoryTerms.plan(request, now: now)
        #expect(plan.map(\.period) == ["8h", "8h", "8h", "1min"] || plan.map(\.period) == ["8h", "8h", "8h"])
        #expect(plan[0].startTime == nil && plan[1].startTime != nil)
        #expect(plan.allSatisfy { $0.bar == "1min" && $0.outsideRth == false })
        #expect(plan[0].path(conid: 265598) == "/iserver/marketdata/history?conid=265598&period=8h&bar=1min&outsideRth=false")
        // 2025-12-06 05:46:40 UTC less 8 hours.
        #expect(plan[1].startTime == "20251205-21:46:40")
        #expect(plan[1].path(conid: 1).hasSuffix("&startTime=20251205-21%3A46%3A40"))
        // A span that ended in the past names its end; FX asks outside regular hours too.
        let past = BarRequest(instrument: .forex(base: "EUR", quote: "USD"), interval: .oneHour, from: now - 10 * Self.day, to: now - Self.day)
        let pastPlan = HistoryTerms.plan(past, now: now)
        #expect(pastPlan.count == 1 && pastPlan[0].period == "10d" && pastPlan[0].outsideRth)
        #expect(pastPlan[0].startTime == "20251205-05:46:40")
        // Every request stays under 1,000 bars, and a week of minutes (21 requests of 8 hours, one for the 40
        // seconds of the minute holding `from`) stays under the cap on requests.
        let week = BarRequest(instrument: .crypto("BTC"), interval: .oneMinute, from: now - 7 * Self.day, to: now)
        let weekPlan = HistoryTerms.plan(week, now: now)
        #expect(weekPlan.count == 22 && weekPlan.count <= HistoryTerms.maximumRequests)
        for interval in BarInterval.allCases {
            let span = BarRequest(instrument: .stock("AAPL"), interval: interval, from: now - 400 * Self.day, to: now)
            for terms in HistoryTerms.plan(span, now: now) {
                let seconds = try #require(HistoryTerms.seconds(period: terms.period))
                #expect(seconds / interval.seconds <= Int64(HistoryTerms.maximumBars), "\(interval) \(terms.period)")
            }
        }
        // Nothing yet: no requests.
        #expect(HistoryTerms.plan(BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: now + 60_000, to: now + 120_000), now: now).isEmpty)
    }
}
