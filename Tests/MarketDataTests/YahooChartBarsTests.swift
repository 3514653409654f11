import Foundation
import ProviderParsing
import Testing
import TickhubCore

@Suite("Yahoo chart bars")
struct YahooChartBarsTests {
    static let day: Int64 = 86_400_000

    func parse(_ fixture: String, _ interval: BarInterval = .oneDay) throws -> YahooChartBarsOutcome {
        let response = try HTTPFixtures.response("yahoo/\(fixture)")
        return YahooParsing.parseChartBars(status: response.status, contentType: response.contentType, body: response.body, interval: interval)
    }

    func bars(_ fixture: String, _ interval: BarInterval = .oneDay) throws -> YahooChartBars {
        let outcome = try parse(fixture, interval)
        guard case let .bars(bars) = outcome else {
            Issue.record("\(fixture): \(outcome)")
            return YahooChartBars(symbol: "", bars: [])
        }
        return bars
    }

    /// A chart body with one row per bar; `nil` is Yahoo's null.
    func chart(
        granularity: String = "1m", zone: String = "America/New_York", gmtoffset: Int = -14400, type: String = "EQUITY",
        currency: String = "USD", rows: [(Int64, Double?, Double?, Double?, Double?, Double?)]
    ) -> YahooChartBarsOutcome {
        func column(_ values: [Double?]) -> String { "[" + values.map { $0.map { "\($0)" } ?? "null" }.joined(separator: ",") + "]" }
        let body = """
            {"chart":{"result":[{"meta":{"symbol":"AAPL","currency":"\(currency)","instrumentType":"\(type)","gmtoffset":\(gmtoffset),
            "exchangeTimezoneName":"\(zone)","dataGranularity":"\(granularity)"},
            "timestamp":[\(rows.map { "\($0.0)" }.joined(separator: ","))],
            "indicators":{"quote":[{"open":\(column(rows.map(\.1))),"high":\(column(rows.map(\.2))),"low":\(column(rows.map(\.3))),
            "close":\(column(rows.map(\.4))),"volume":\(column(rows.map(\.5)))}]}}],"error":null}}
            """
        let interval = BarInterval.allCases.first { YahooParsing.chartInterval($0) == granularity } ?? .oneMinute
        return YahooParsing.parseChartBars(status: 200, contentType: HTTPFixtures.yahooJSON, body: Data(body.utf8), interval: interval)
    }

    @Test func sixMonthsOfDailyBarsEachOnItsNewYorkTradingDate() throws {
        let read = try bars("yahoo_chart_AAPL_6mo_1d.json")
        #expect(read.symbol == "AAPL")
        #expect(read.exchangeTimezone == "America/New_York")
        #expect(read.bars.count == 127)
        #expect(read.skipped == 0)
        // 2025-04-30 13:30 UTC, the open in New York, is that day's bar: 00:00 UTC of 2025-04-30.
        let first = try #require(read.bars.first)
        #expect(first.time == 1_745_971_200_000)
        #expect(first.open == 209.3000030517578 && first.high == 213.5800018310547 && first.low == 206.6699981689453)
        #expect(first.close == 212.5 && first.volume == 52_286_500)
        // The live bar, stamped with the last trade (2025-10-29 20:00:01 UTC), is still 2025-10-29's.
        #expect(read.bars.last?.time == 1_761_696_000_000)
        #expect(read.bars.allSatisfy { $0.time % Self.day == 0 && $0.isConsistent })
        #expect(zip(read.bars, read.bars.dropFirst()).allSatisfy { $0.time < $1.time })
    }

    @Test func dailyBarsOfOtherExchangesAndAssetClassesLandOnTheirDates() throws {
        // Frankfurt's open at 07:00 UTC (09:00 CEST), gold's local midnight (05:00 UTC), London's 08:00, crypto's UTC day.
        #expect(try bars("yahoo_chart_GS2C.DE.json").bars.first?.time == 1_761_177_600_000)  // 2025-10-23
        #expect(try bars("yahoo_chart_GC=F.json").bars.map(\.time) == [1_577_923_200_000])  // 2020-01-02
        #expect(try bars("yahoo_chart_BTC-USD.json").bars.map(\.time) == [1_577_836_800_000, 1_577_923_200_000, 1_578_009_600_000])
        #expect(try bars("yahoo_chart_AAPL.json").bars.map(\.time) == [1_645_488_000_000])  // 2022-02-22
    }

    @Test func penceBecomePoundsAndFXHasNoVolume() throws {
        let ocado = try bars("yahoo_chart_OCDO.L.json")
        #expect(ocado.currency == "GBP")
        #expect(ocado.bars == [Bar(time: 1_577_923_200_000, open: 12.795, high: 12.865699462890625, low: 12.58, close: 12.595, volume: 728_520)])
        let euro = try bars("yahoo_chart_EURUSD=X.json")
        #expect(euro.bars.count == 3)
        #expect(euro.bars.allSatisfy { $0.volume == nil })
        #expect(euro.bars.first?.open == 1.1220825910568237)
    }

    /// The meta's `gmtoffset` is the zone's offset when Yahoo answered, not at each bar: a summer bar at New York's
    /// midnight read with a winter offset would fall on the day before.
    @Test func theZonesDaylightSavingTimeDecidesTheDateNotTheOffsetOfTheAnswer() throws {
        let summerMidnight: Int64 = 1_751_342_400  // 2025-07-01 00:00 EDT, 04:00 UTC
        let row = (summerMidnight, Double?(100), Double?(101), Double?(99), Double?(100.5), Double?(1_000))
        guard case let .bars(zoned) = chart(granularity: "1d", gmtoffset: -18000, rows: [row]) else {
            Issue.record("no bars")
            return
        }
        #expect(zoned.bars.map(\.time) == [1_751_328_000_000])  // 2025-07-01
        // A zone this system does not know: the answer's fixed offset is all there is.
        guard case let .bars(fixed) = chart(granularity: "1d", zone: "Mars/Olympus_Mons", gmtoffset: -18000, rows: [row]) else {
            Issue.record("no bars")
            return
        }
        #expect(fixed.exchangeTimezone == nil)
        #expect(fixed.bars.map(\.time) == [1_751_241_600_000])  // 2025-06-30
    }

    @Test func nullRowsAreSkippedInconsistentOnesDroppedAndIntradayTimesKept() throws {
        let t: Int64 = 1_742_823_000  // 2025-03-24 13:30 UTC
        let outcome = chart(rows: [
            (t, 220, 221, 219, 220.5, 1_000),
            (t + 60, nil, nil, nil, nil, nil),          // a minute without trades
            (t + 120, 220.5, 219, 221, 220, 500),        // high below low
            (t + 180, 220, 220.8, 219.6, 221.5, 300),    // close above high
            (t + 240, 220.1, 220.9, 219.9, 220.4, nil),  // no volume: still a bar
            (t + 300, 220.4, 220.6, 220.2, 220.3, 10),
            (t + 300, 220.4, 220.7, 220.2, 220.6, 40),   // the forming minute again, newer
            (t + 240, nil, nil, nil, nil, nil),          // a later null row for a minute says nothing about it
        ])
        guard case let .bars(read) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(read.skipped == 4)
        #expect(read.bars == [
            Bar(time: t * 1000, open: 220, high: 221, low: 219, close: 220.5, volume: 1_000),
            Bar(time: (t + 240) * 1000, open: 220.1, high: 220.9, low: 219.9, close: 220.4, volume: nil),
            Bar(time: (t + 300) * 1000, open: 220.4, high: 220.7, low: 220.2, close: 220.6, volume: 40),
        ])
    }

    @Test func aWeekendIsAKnownSymbolWithNoBars() throws {
        let read = try bars("yahoo_chart_AAPL_1m_weekend_nobars.json", .oneMinute)
        #expect(read.symbol == "AAPL")
        #expect(read.bars.isEmpty)
    }

    @Test func errorObjectsAndEmptyResultsAreClearErrors() throws {
        #expect(try parse("reconstructed/yahoo_chart_notfound_404.json") == .unknownSymbol("No data found, symbol may be delisted"))
        guard case let .unavailable(tooLong) = try parse("reconstructed/yahoo_chart_range_too_long_422.json", .oneMinute) else {
            Issue.record("a 422 is not unavailable")
            return
        }
        #expect(tooLong.contains("422"))
        #expect(try parse("reconstructed/yahoo_429_body.txt") == .rateLimited)

        func body(_ text: String, status: Int = 200) -> YahooChartBarsOutcome {
            YahooParsing.parseChartBars(status: status, contentType: HTTPFixtures.yahooJSON, body: Data(text.utf8), interval: .oneDay)
        }
        #expect(body(#"{"chart":{"result":[],"error":null}}"#) == .unknownSymbol("chart result is empty"))
        #expect(body(#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#)
            == .unknownSymbol("No data found, symbol may be delisted"))
        #expect(body(#"{"chart":{"result":null,"error":null}}"#) == .unavailable("chart response with neither a result nor an error"))
        #expect(body(#"{"chart":{"result":[{"meta":{"symbol":"AAPL""#) != .unknownSymbol("chart result is empty"))
        if case .bars = body(#"{"chart":{"result":[{"meta":{"symbol":"AAPL""#) { Issue.record("bars from truncated JSON") }
    }

    @Test func barsOfAnotherIntervalThanAskedAreRefused() throws {
        // Yahoo widens the interval it answers with rather than refuse a span; such bars are not the chart's.
        #expect(try parse("yahoo_chart_AAPL_6mo_1d.json", .oneHour) == .unavailable("Yahoo answered 1d bars for AAPL when 60m were asked"))
    }

    @Test func halfHoursFoldIntoClockHours() {
        // New York's session in half hours from the 09:30 open (14:30 UTC in winter): 13 halves, 7 hours.
        let open: Int64 = 1_737_556_200_000  // 2025-01-22 14:30 UTC
        var halves: [Bar] = []
        for i in 0..<13 {
            let base = 100 + Double(i)
            let time = open + Int64(i) * 1_800_000
            halves.append(Bar(time: time, open: base, high: base + 1, low: base - 1, close: base + 0.5, volume: i == 1 ? nil : 10))
        }
        let hours = YahooParsing.fold(halves, into: .oneHour)
        let starts: [Int64] = (0..<7).map { (i: Int) -> Int64 in open - 1_800_000 + Int64(i) * 3_600_000 }
        #expect(hours.map { $0.time } == starts)
        // 14:00: the open's half hour alone. 15:00: halves 1 (no volume) and 2.
        #expect(hours.first == Bar(time: open - 1_800_000, open: 100, high: 101, low: 99, close: 100.5, volume: 10))
        #expect(hours.dropFirst().first == Bar(time: open + 1_800_000, open: 101, high: 103, low: 100, close: 102.5, volume: 10))
        #expect(hours.allSatisfy { $0.isConsistent })
        #expect(YahooParsing.fold([], into: .oneHour).isEmpty)
    }
}
