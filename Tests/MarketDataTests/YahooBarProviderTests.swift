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
        // The recording holds daily bars: asked for hours, they are not passed on as hours.
        let wrong = await Self.error { try await yahoo.bars(Self.request("AAPL", .oneHour, from: now - 5 * Self.day, to: now)) }
        #expect(wrong == .unavailable("Yahoo chart for AAPL: Yahoo answered 1d bars for AAPL when 60m were asked"))
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
            (.oneMinute, now - 9 * Self.day, now, "Yahoo serves at most 7 days of 1m bars per request"),
            (.fiveMinutes, now - 61 * Self.day, now, "Yahoo keeps 5m bars for the last 60 days only"),
            (.thirtyMinutes, now - 61 * Self.day, now, "Yahoo keeps 30m bars for the last 60 days only"),
            (.oneHour, now - 731 * Self.day, now, "Yahoo keeps 1h bars for the last 730 days only"),
        ]
        for (interval, from, to, reason) in cases {
            let refused = await Self.error { try await yahoo.bars(Self.request("AAPL", interval, from: from, to: to)) }
            #expect(refused == .unavailable(reason))
        }
        #expect(server.requests.isEmpty)

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
}
