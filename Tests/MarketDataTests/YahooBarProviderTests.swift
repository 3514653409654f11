import AsyncHTTPClient
import Foundation
import MarketData
import ProviderParsing
import Testing
import TickhubCore

@Suite("Yahoo as a chart provider")
struct YahooBarProviderTests {
    static let day: Int64 = 86_400_000
    /// 2022-02-01 and 2022-03-01, 00:00 UTC: around the recorded AAPL day (2022-02-22).
    static let february: (from: Int64, to: Int64) = (1_643_673_600_000, 1_646_092_800_000)

    static func provider(_ server: YahooChartServer) -> YahooProvider {
        var configuration = YahooProvider.Configuration()
        configuration.baseURL = server.url
        configuration.requestTimeoutSeconds = 5
        return YahooProvider(configuration: configuration, client: .shared)
    }

    static func request(_ symbol: String, _ interval: BarInterval, from: Int64, to: Int64) throws -> BarRequest {
        BarRequest(instrument: try SymbolGrammar.parse(symbol), interval: interval, from: from, to: to)
    }

    static func error(_ body: () async throws -> [Bar]) async -> HistoricalBarError? {
        do {
            let bars = try await body()
            Issue.record("expected a HistoricalBarError, got \(bars.count) bars")
            return nil
        } catch let error as HistoricalBarError {
            return error
        } catch {
            Issue.record("expected a HistoricalBarError, got \(error)")
            return nil
        }
    }

    @Test func dailyBarsComeFromTheChartAskedForTheSpanWithYahoosSymbols() async throws {
        let server = try await YahooChartServer(charts: [
            "AAPL": "yahoo/yahoo_chart_AAPL.json", "EURUSD=X": "yahoo/yahoo_chart_EURUSD=X.json",
            "BTC-USD": "yahoo/yahoo_chart_BTC-USD.json",
        ])
        let yahoo = Self.provider(server)
        #expect(yahoo.source == .yahoo)

        let aapl = try await yahoo.bars(Self.request("AAPL", .oneDay, from: Self.february.from, to: Self.february.to))
        #expect(aapl == [Bar(time: 1_645_488_000_000, open: 164.97999572753906, high: 166.69000244140625,
                             low: 162.14999389648438, close: 164.32000732421875, volume: 91_162_800)])
        // A day earlier than asked, for exchanges whose session opens before 00:00 UTC of its date.
        #expect(server.requests == ["/v8/finance/chart/AAPL?interval=1d&period1=1643587200&period2=1646092800&includePrePost=false"])

        // 2020-01-01 to 2020-01-03: the recorded third day (2020-01-03) is outside [from, to).
        let newYear: (Int64, Int64) = (1_577_836_800_000, 1_578_009_600_000)
        let euro = try await yahoo.bars(Self.request("EUR.USD", .oneDay, from: newYear.0, to: newYear.1))
        #expect(euro.map(\.time) == [1_577_836_800_000, 1_577_923_200_000])
        #expect(euro.allSatisfy { $0.volume == nil })
        let bitcoin = try await yahoo.bars(Self.request("BTC", .oneDay, from: newYear.0, to: newYear.1 + Self.day))
        #expect(bitcoin.count == 3)
        #expect(server.requests.dropFirst().map { $0.split(separator: "?")[0] } == ["/v8/finance/chart/EURUSD=X", "/v8/finance/chart/BTC-USD"])
        await server.close()
    }

    @Test func aSymbolYahooDoesNotKnowIsUnknownAndWrongBarsAreUnavailable() async throws {
        let server = try await YahooChartServer(charts: ["AAPL": "yahoo/yahoo_chart_AAPL.json"])
        let yahoo = Self.provider(server)
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        let unknown = await Self.error { try await yahoo.bars(Self.request("ZZZZ", .oneDay, from: Self.february.from, to: Self.february.to)) }
        #expect(unknown == .unknownSymbol("Yahoo does not know ZZZZ: No data found, symbol may be delisted"))
        // The recording holds daily bars: asked for (half hours to fold into) hours, they are not passed on as such.
        let wrong = await Self.error { try await yahoo.bars(Self.request("AAPL", .oneHour, from: now - 5 * Self.day, to: now)) }
        #expect(wrong == .unavailable("Yahoo chart for AAPL: Yahoo answered 1d bars for AAPL when 30m were asked"))
        // An empty span asks nothing.
        #expect(try await yahoo.bars(Self.request("AAPL", .oneDay, from: Self.february.to, to: Self.february.from)).isEmpty)
        #expect(server.requests.count == 2)
        await server.close()
    }

    @Test func spansBeyondYahoosReachAreRefusedWithoutAsking() async throws {
        let server = try await YahooChartServer(charts: ["AAPL": "yahoo/yahoo_chart_AAPL.json"])
        let yahoo = Self.provider(server)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let cases: [(BarInterval, Int64, Int64, String)] = [
            (.oneMinute, now - 31 * Self.day, now - 30 * Self.day, "Yahoo keeps 1m bars for the last 30 days only"),
            (.fiveMinutes, now - 61 * Self.day, now, "Yahoo keeps 5m bars for the last 60 days only"),
            (.thirtyMinutes, now - 61 * Self.day, now, "Yahoo keeps 30m bars for the last 60 days only"),
            (.oneHour, now - 731 * Self.day, now, "Yahoo keeps 1h bars for the last 730 days only"),
        ]
        for (interval, from, to, reason) in cases {
            let refused = await Self.error { try await yahoo.bars(Self.request("AAPL", interval, from: from, to: to)) }
            #expect(refused == .unavailable(reason))
        }
        #expect(server.requests.isEmpty)

        // One request covers a week of minutes at most.
        #expect(throws: HistoricalBarError.unavailable("Yahoo serves at most 7 days of 1m bars per request")) {
            try YahooProvider.chartQuery(BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: now - 8 * Self.day, to: now), now: now)
        }
        // Within reach, the query names Yahoo's interval and the span in seconds.
        let at: Int64 = 1_765_000_000_000
        #expect(try YahooProvider.chartQuery(BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: at - Self.day, to: at), now: at)
            == "interval=1m&period1=1764913600&period2=1765000000&includePrePost=false")
        #expect(try YahooProvider.chartQuery(BarRequest(instrument: .stock("AAPL"), interval: .oneHour, from: at - 700 * Self.day, to: at + 1), now: at)
            == "interval=60m&period1=1704520000&period2=1765000001&includePrePost=false")
        // Daily bars reach back as far as Yahoo has them.
        #expect(throws: Never.self) { try YahooProvider.chartQuery(BarRequest(instrument: .stock("AAPL"), interval: .oneDay, from: 0, to: at), now: at) }
        await server.close()
    }

    @Test func aRateLimitPausesYahooSoTheNextChartIsNotAsked() async throws {
        let server = try await YahooChartServer(charts: [
            "AAPL": "yahoo/yahoo_chart_AAPL.json", "SPY": "yahoo/reconstructed/yahoo_429_body.txt",
        ])
        let yahoo = Self.provider(server)
        let limited = await Self.error { try await yahoo.bars(Self.request("SPY", .oneDay, from: Self.february.from, to: Self.february.to)) }
        #expect(limited == .unavailable("Yahoo answered 429 Too Many Requests"))
        let paused = await Self.error { try await yahoo.bars(Self.request("AAPL", .oneDay, from: Self.february.from, to: Self.february.to)) }
        guard case let .unavailable(reason)? = paused else {
            Issue.record("\(String(describing: paused))")
            return
        }
        #expect(reason.hasPrefix("Yahoo is paused"))
        #expect(server.requests.count == 1)
        await server.close()
    }

    /// A chart of every bar Yahoo would have in the query's span at its interval: `60m` ones at half past (its hours
    /// start at New York's open), `30m` ones on the half hour; prices rising by a cent a bar, a volume of 10.
    static func generatedChart(_ query: [String: String]) -> Data? {
        guard let interval = query["interval"], let from = query["period1"].flatMap(Int64.init),
              let to = query["period2"].flatMap(Int64.init)
        else { return nil }
        let (step, offset): (Int64, Int64) = interval == "60m" ? (3_600, 1_800) : interval == "1m" ? (60, 0) : (1_800, 0)
        let first = (from - offset + step - 1) / step * step + offset
        var times: [Int64] = []
        var time = first
        while time < to {
            times.append(time)
            time += step
        }
        func prices(_ shift: Double) -> String { times.map { "\(100 + Double($0 / step % 1_000) / 100 + shift)" }.joined(separator: ",") }
        let body = """
            {"chart":{"result":[{"meta":{"symbol":"AAPL","currency":"USD","exchangeTimezoneName":"America/New_York",
            "gmtoffset":-18000,"dataGranularity":"\(interval)"},"timestamp":[\(times.map(String.init).joined(separator: ","))],
            "indicators":{"quote":[{"open":[\(prices(0))],"high":[\(prices(0.5))],"low":[\(prices(-0.5))],"close":[\(prices(0.25))],
            "volume":[\(times.map { _ in "10" }.joined(separator: ","))]}]}}],"error":null}}
            """
        return Data(body.utf8)
    }

    @Test func hoursWithinTheHalfHoursReachAreFoldedOntoTheClockAndOlderOnesAreYahoos() async throws {
        let server = try await YahooChartServer(charts: [:]) { symbol, query in
            symbol == "AAPL" ? Self.generatedChart(query) : nil
        }
        let yahoo = Self.provider(server)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let bars = try await yahoo.bars(Self.request("AAPL", .oneHour, from: now - 90 * Self.day, to: now))

        // Two requests: Yahoo's hours up to a seam on the clock hour inside the half hours' 60 days, half hours after.
        let queries = server.requests.map { target in
            Dictionary(uniqueKeysWithValues: target.split(separator: "?")[1].split(separator: "&").map {
                let item = $0.split(separator: "=").map(String.init)
                return (item[0], item[1])
            })
        }
        #expect(queries.map { $0["interval"] } == ["60m", "30m"])
        let seam = try #require(queries.first?["period2"].flatMap(Int64.init)) * 1000
        #expect(queries.last?["period1"] == "\(seam / 1000)")
        #expect(seam % 3_600_000 == 0)
        #expect(seam > now - 60 * Self.day && seam <= now - 59 * Self.day + 3_600_000)

        let older = bars.filter { $0.time < seam }, folded = bars.filter { $0.time >= seam }
        #expect(older.count > 700 && folded.count > 1_400)
        #expect(older.allSatisfy { $0.time % 3_600_000 == 1_800_000 })
        #expect(folded.allSatisfy { $0.time % 3_600_000 == 0 })
        #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.time < $1.time })
        #expect(bars.allSatisfy { $0.isConsistent })
        // An hour from its two halves: the first's open, the second's close, both volumes.
        let hour = try #require(folded.first)
        let step = (hour.time / 1000) / 1_800
        #expect(hour.open == 100 + Double(step % 1_000) / 100)
        #expect(hour.close == 100 + Double((step + 1) % 1_000) / 100 + 0.25)
        #expect(hour.high == 100 + Double((step + 1) % 1_000) / 100 + 0.5 || step % 1_000 == 999)
        #expect(hour.volume == 20)
        await server.close()
    }

    @Test func moreThanAWeekOfMinutesIsAskedAWeekAtATime() async throws {
        let server = try await YahooChartServer(charts: [:]) { symbol, query in
            symbol == "AAPL" ? Self.generatedChart(query) : nil
        }
        let yahoo = Self.provider(server)
        let now = Int64(Date().timeIntervalSince1970 * 1000) / 60_000 * 60_000
        let bars = try await yahoo.bars(Self.request("AAPL", .oneMinute, from: now - 9 * Self.day, to: now))

        let spans = server.requests.map { target -> (Int64, Int64) in
            let query = target.split(separator: "?")[1].split(separator: "&").map { $0.split(separator: "=") }
            let value = { (name: String) in Int64(query.first { $0[0] == name }.map { String($0[1]) } ?? "") ?? 0 }
            return (value("period1"), value("period2"))
        }
        #expect(spans.map(\.0) == [(now - 9 * Self.day) / 1000, (now - 2 * Self.day) / 1000])
        #expect(spans.map(\.1) == [(now - 2 * Self.day) / 1000, now / 1000])
        #expect(bars.count == 9 * 1_440)
        #expect(bars.first?.time == now - 9 * Self.day)
        #expect(zip(bars, bars.dropFirst()).allSatisfy { $1.time - $0.time == 60_000 })
        await server.close()
    }
}
