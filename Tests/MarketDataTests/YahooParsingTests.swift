import Foundation
import MarketData
import ProviderParsing
import Testing
import TickhubCore

/// The recorded HTTP responses in `Tests/Fixtures`, each with the status and content type
/// `Tests/Fixtures/ORIGIN-http.md` says it was served with.
enum HTTPFixtures {
    struct Response {
        let status: Int
        let contentType: String
        let body: Data
    }

    /// `<root>/Tests/MarketDataTests/YahooParsingTests.swift` → `<root>/Tests/Fixtures`.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/MarketDataTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package root
        .appendingPathComponent("Tests/Fixtures", isDirectory: true)
        .standardizedFileURL

    static let yahooJSON = "application/json;charset=utf-8"
    static let avJSON = "application/json"

    /// Status and content type per file, from ORIGIN-http.md. The yfinance-rs recordings have no stored headers;
    /// ORIGIN says to serve them as 200 `application/json;charset=utf-8`. Alpha Vantage answers everything with
    /// 200 `application/json` (docs/providers.md, Alpha Vantage).
    static let served: [String: (status: Int, contentType: String)] = [
        "yahoo/yahoo_chart_AAPL.json": (200, yahooJSON),
        "yahoo/yahoo_chart_AAPL_1m_weekend_nobars.json": (200, yahooJSON),
        "yahoo/yahoo_chart_EURUSD=X.json": (200, yahooJSON),
        "yahoo/yahoo_chart_BTC-USD.json": (200, yahooJSON),
        "yahoo/yahoo_chart_GC=F.json": (200, yahooJSON),
        "yahoo/yahoo_chart_OCDO.L.json": (200, yahooJSON),
        "yahoo/yahoo_chart_LUCYW_null_currency.json": (200, yahooJSON),
        "yahoo/yahoo_chart_AAPL_6mo_1d.json": (200, yahooJSON),
        "yahoo/yahoo_chart_GS2C.DE.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_AAPL-BABA_withcrumb.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_OCDO.L_delayed15.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_GC=F_future.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_EURUSD=X.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_SIMP_delisted_NONE.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_AAPL.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_AAPL-MSFT.json": (200, yahooJSON),
        "yahoo/yahoo_quote_v7_unknown_symbol_empty.json": (200, yahooJSON),
        "yahoo/yahoo_quoteSummary_notfound_404.json": (404, yahooJSON),
        "yahoo/yahoo_search_badrequest_400.json": (400, "application/json"),
        "yahoo/yahoo_getcrumb_body.txt": (200, "text/plain;charset=utf-8"),
        "yahoo/reconstructed/yahoo_chart_notfound_404.json": (404, yahooJSON),
        "yahoo/reconstructed/yahoo_chart_range_too_long_422.json": (422, "application/json"),
        "yahoo/reconstructed/yahoo_quote_v7_invalid_crumb_401.json": (401, "application/json"),
        "yahoo/reconstructed/yahoo_429_body.txt": (429, "text/plain"),
        "alphavantage/av_global_quote_IBM.json": (200, avJSON),
        "alphavantage/av_global_quote_MSFT.json": (200, avJSON),
        "alphavantage/av_currency_exchange_rate_BTC_CNY.json": (200, avJSON),
        "alphavantage/av_currency_exchange_rate_BTC_CNY_2017.json": (200, avJSON),
        "alphavantage/av_currency_exchange_rate_USD_JPY_no_bid_ask.json": (200, avJSON),
        "alphavantage/av_realtime_bulk_quotes_demo.json": (200, avJSON),
        "alphavantage/av_demo_key_information.json": (200, avJSON),
        "alphavantage/av_rate_limit_note.json": (200, avJSON),
        "alphavantage/reconstructed/av_global_quote_unknown_symbol_empty.json": (200, avJSON),
        "alphavantage/reconstructed/av_rate_limit_daily_information.json": (200, avJSON),
        "alphavantage/reconstructed/av_rate_limit_daily_detected_key.json": (200, avJSON),
        "alphavantage/reconstructed/av_rate_limit_burst_information.json": (200, avJSON),
        "alphavantage/reconstructed/av_rate_limit_burst_information_2025-12.json": (200, avJSON),
        "alphavantage/reconstructed/av_premium_endpoint_information.json": (200, avJSON),
        "alphavantage/reconstructed/av_invalid_apikey.json": (200, avJSON),
        "alphavantage/reconstructed/av_invalid_api_call_global_quote.json": (200, avJSON),
    ]

    static func response(_ path: String) throws -> Response {
        let served = try #require(served[path], "no status/content type recorded for \(path)")
        let body = try Data(contentsOf: directory.appendingPathComponent(path))
        return Response(status: served.status, contentType: served.contentType, body: body)
    }

    /// Every file under a fixture folder, as paths relative to `directory`, sorted.
    static func files(under folder: String) -> [String] {
        let base = directory.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var paths: [String] = []
        for case let url as URL in walker where !url.hasDirectoryPath {
            let relative = url.standardizedFileURL.path.dropFirst(directory.path.count).drop(while: { $0 == "/" })
            paths.append(String(relative))
        }
        return paths.sorted()
    }
}

/// Seconds → ms.
private func ms(_ seconds: Int64) -> Int64 { seconds * 1000 }

private func close(_ a: Double?, _ b: Double, tolerance: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance * max(1, abs(b))
}

@Suite("Yahoo parsing")
struct YahooParsingTests {
    let now: Int64 = 1_750_000_000_000

    /// Times beyond Int64 trapped the conversion to ms, and a huge or negative `exchangeDataDelayedBy` trapped or
    /// made stale quotes look fresh (fuzz-yahoo; Tests/FuzzCorpus/fuzz-yahoo/regression-*).
    @Test func impossibleTimesAndDelaysAreNotTaken() throws {
        func chart(_ meta: String) -> YahooOutcome {
            let body = #"{"chart":{"result":[{"meta":{"symbol":"AAPL","regularMarketPrice":1,\#(meta)}}],"error":null}}"#
            return YahooParsing.parseChart(status: 200, contentType: HTTPFixtures.yahooJSON, body: Data(body.utf8), now: now)
        }
        #expect(chart(#""regularMarketTime":1e300"#) == .unavailable("no regularMarketTime in the chart for AAPL"))
        guard case let .quote(quote) = chart(#""regularMarketTime":1742824293,"currentTradingPeriod":{"regular":{"start":1e30,"end":2}}"#) else {
            Issue.record("expected a quote")
            return
        }
        #expect(quote.regularPeriod == nil && quote.marketTime == 1_742_824_293_000)

        func delay(_ field: String) throws -> Int {
            let body = #"{"quoteResponse":{"result":[{"symbol":"AAPL","regularMarketPrice":1,"regularMarketTime":1742824293,"exchange":"NMS","exchangeDataDelayedBy":\#(field)}],"error":null}}"#
            let outcome = YahooParsing.parseQuotes(status: 200, contentType: HTTPFixtures.yahooJSON, body: Data(body.utf8), now: now)
            guard case let .quotes(quotes) = outcome, case let .quote(quote)? = quotes["AAPL"] else { throw CancellationError() }
            _ = quote.isStale(now: now, pollInterval: .seconds(15))
            return quote.delayMinutes
        }
        #expect(try delay("15") == 15)
        // Out of range, the exchange table decides: NMS is real time.
        #expect(try delay("1e30") == 0)
        #expect(try delay("1e15") == 0)
        #expect(try delay("-5") == 0)
    }

    func chart(_ path: String, now: Int64? = nil) throws -> YahooOutcome {
        let r = try HTTPFixtures.response(path)
        return YahooParsing.parseChart(status: r.status, contentType: r.contentType, body: r.body, now: now ?? self.now)
    }

    func chartQuote(_ path: String, now: Int64? = nil) throws -> YahooQuote {
        let outcome = try chart(path, now: now)
        guard case let .quote(quote) = outcome else {
            Issue.record("\(path): expected a quote, got \(outcome)")
            throw CancellationError()
        }
        return quote
    }

    func v7(_ path: String, requested: [String] = []) throws -> YahooBatchOutcome {
        let r = try HTTPFixtures.response(path)
        return YahooParsing.parseQuotes(
            status: r.status, contentType: r.contentType, body: r.body, requested: requested, now: now)
    }

    func v7Quotes(_ path: String, requested: [String] = []) throws -> [String: YahooOutcome] {
        let outcome = try v7(path, requested: requested)
        guard case let .quotes(quotes) = outcome else {
            Issue.record("\(path): expected quotes, got \(outcome)")
            throw CancellationError()
        }
        return quotes
    }

    func v7Quote(_ path: String, _ symbol: String) throws -> YahooQuote {
        let outcome = try v7Quotes(path)[symbol]
        guard case let .quote(quote) = outcome else {
            Issue.record("\(path): expected a quote for \(symbol), got \(String(describing: outcome))")
            throw CancellationError()
        }
        return quote
    }

    // MARK: Every fixture

    @Test func everyFixtureFileHasAServedStatusAndIsParsed() throws {
        let files = HTTPFixtures.files(under: "yahoo") + HTTPFixtures.files(under: "alphavantage")
        #expect(files.count == 40)
        #expect(Set(files) == Set(HTTPFixtures.served.keys), "ORIGIN table and fixture folders differ")
        // Each file through the parser for its endpoint: a classified outcome, never a crash.
        for path in files {
            let r = try HTTPFixtures.response(path)
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix("av_") {
                _ = AlphaVantageParsing.parseGlobalQuote(status: r.status, contentType: r.contentType, body: r.body)
            } else if name.contains("getcrumb") {
                #expect(YahooParsing.parseCrumb(status: r.status, contentType: r.contentType, body: r.body)
                    == .crumb("haT3oykhHqZ"))
            } else if name.hasPrefix("yahoo_quote_v7") {
                _ = YahooParsing.parseQuotes(status: r.status, contentType: r.contentType, body: r.body, now: now)
            } else {
                _ = YahooParsing.parseChart(status: r.status, contentType: r.contentType, body: r.body, now: now)
            }
        }
    }

    // MARK: v8 chart, recorded

    @Test func chartAAPL() throws {
        let q = try chartQuote("yahoo/yahoo_chart_AAPL.json")
        #expect(q.symbol == "AAPL")
        #expect(q.price == 220.003)
        #expect(q.marketTime == ms(1_742_824_293))
        #expect(q.dayHigh == 221.021 && q.dayLow == 218.58 && q.volume == 5_800_260)
        // No previousClose, and range is "" (period1/period2), so chartPreviousClose (167.3) is not yesterday's.
        #expect(q.previousClose == nil)
        #expect(q.open == nil)
        #expect(q.currency == "USD" && q.exchangeName == "NMS" && q.instrumentType == "EQUITY")
        #expect(q.delayMinutes == 0 && !q.isDelayed)
        #expect(q.regularPeriod == YahooTradingPeriod(start: 1_742_823_000, end: 1_742_846_400))
        #expect(q.bars.count == 1)
        #expect(q.bars.first?.time == ms(1_645_540_200))
        #expect(q.bars.first?.close == 164.32000732421875)
        #expect(q.bid == nil && q.ask == nil)
        #expect(q.receivedAt == .milliseconds(now))
    }

    @Test func chartAAPLStaleRuleInAndOutOfTheSession() throws {
        let q = try chartQuote("yahoo/yahoo_chart_AAPL.json")
        let t = q.marketTime
        // In session (09:30–16:00 EDT, 2025-03-24), real time, polled every 15 s: allowance 45 s.
        #expect(q.isInRegularSession(at: t + 45_000))
        #expect(!q.isStale(now: t + 45_000, pollInterval: .seconds(15)))
        #expect(q.isStale(now: t + 45_001, pollInterval: .seconds(15)))
        #expect(!q.isStale(now: t + 89_000, pollInterval: .seconds(30)))
        // After the close: the last price is not stale however old.
        let afterClose = ms(1_742_846_400) + 3_600_000
        #expect(!q.isInRegularSession(at: afterClose))
        #expect(!q.isStale(now: afterClose, pollInterval: .seconds(15)))

        let live = q.quote(for: "AAPL", pollInterval: .seconds(15), now: t + 10_000)
        #expect(live.source == .yahoo && live.symbol == "AAPL")
        #expect(live.last == 220.003 && live.high == 221.021 && live.low == 218.58 && live.volume == 5_800_260)
        #expect(live.close == nil && live.open == nil && live.bid == nil)
        #expect(live.timestamp == ms(1_742_824_293))
        #expect(!live.delayed && !live.stale)
        #expect(q.quote(for: "AAPL", pollInterval: .seconds(15), now: t + 60_000).stale)
        // Without `now`, the time given to the parser: 2025-06-15, outside that day's session → not stale.
        #expect(!q.quote(for: "AAPL").stale)
    }

    @Test func chartWeekendHasNoBarsButAPriceAndPreviousClose() throws {
        let q = try chartQuote("yahoo/yahoo_chart_AAPL_1m_weekend_nobars.json")
        #expect(q.bars.isEmpty)
        #expect(q.price == 244.87 && q.marketTime == ms(1_739_998_801))
        #expect(q.previousClose == 244.47)  // previousClose wins over chartPreviousClose (236)
        #expect(q.quote(for: "AAPL").close == 244.47)
        #expect(q.regularPeriod == YahooTradingPeriod(start: 1_740_061_800, end: 1_740_085_200))
    }

    @Test func chartSixMonthsIgnoresTheRangesPreviousClose() throws {
        let q = try chartQuote("yahoo/yahoo_chart_AAPL_6mo_1d.json")
        #expect(q.price == 269.7 && q.marketTime == ms(1_761_768_001))
        #expect(q.previousClose == nil)  // chartPreviousClose 211.21 is six months old
        #expect(q.dayHigh == 271.41 && q.dayLow == 267.11 && q.volume == 43_332_154)
        #expect(q.bars.count == 127)
        #expect(q.bars.first?.time == ms(1_746_019_800) && q.bars.first?.volume == 52_286_500)
        #expect(q.bars.last?.time == ms(1_761_768_001))
        #expect(q.bars.last?.close == 269.70001220703125)
    }

    @Test func chartPreviousCloseIsUsedForRangeOneDay() throws {
        // The AAPL chart with range "1d" and no previousClose: chartPreviousClose is then yesterday's close.
        let r = try HTTPFixtures.response("yahoo/yahoo_chart_AAPL.json")
        let text = String(decoding: r.body, as: UTF8.self).replacingOccurrences(of: "\"range\":\"\"", with: "\"range\":\"1d\"")
        guard case let .quote(q) = YahooParsing.parseChart(status: 200, contentType: r.contentType, body: Data(text.utf8), now: now)
        else { Issue.record("no quote"); return }
        #expect(q.previousClose == 167.3)
    }

    @Test func chartEURUSD() throws {
        let q = try chartQuote("yahoo/yahoo_chart_EURUSD=X.json")
        #expect(q.symbol == "EURUSD=X" && q.price == 1.0436 && q.marketTime == ms(1_740_052_002))
        #expect(q.instrumentType == "CURRENCY" && q.exchangeName == "CCY" && q.currency == "USD")
        #expect(q.delayMinutes == 0 && q.volume == 0)
        #expect(q.bars.count == 3 && q.bars[2].close == 1.1171437501907349)
        let quote = q.quote(for: "EUR.USD")
        #expect(quote.symbol == "EUR.USD" && quote.last == 1.0436 && !quote.delayed)
    }

    @Test func chartBTC() throws {
        let q = try chartQuote("yahoo/yahoo_chart_BTC-USD.json")
        #expect(q.symbol == "BTC-USD" && q.price == 97_208.17 && q.marketTime == ms(1_740_051_840))
        #expect(q.instrumentType == "CRYPTOCURRENCY" && q.exchangeName == "CCC" && q.delayMinutes == 0)
        #expect(q.dayLow == 96_481.414 && q.volume == 27_909_466_112)
        #expect(q.bars.map(\.time) == [1_577_836_800, 1_577_923_200, 1_578_009_600].map(ms))
    }

    @Test func chartGoldFutureIsTenMinutesDelayed() throws {
        let q = try chartQuote("yahoo/yahoo_chart_GC=F.json")
        #expect(q.symbol == "GC=F" && q.price == 2952.5 && q.exchangeName == "CMX" && q.instrumentType == "FUTURE")
        #expect(q.delayMinutes == 10 && q.isDelayed)
        // In session: allowance 10 min + 3 × 15 s = 645 s.
        let t = q.marketTime
        #expect(q.isInRegularSession(at: t + 645_000))
        #expect(!q.isStale(now: t + 645_000, pollInterval: .seconds(15)))
        #expect(q.isStale(now: t + 645_001, pollInterval: .seconds(15)))
        let quote = q.quote(for: "GC", now: t + 60_000)
        #expect(quote.delayed && !quote.stale && quote.last == 2952.5)
    }

    @Test func chartLondonPenceBecomePounds() throws {
        let q = try chartQuote("yahoo/yahoo_chart_OCDO.L.json")
        #expect(q.currency == "GBP")
        #expect(close(q.price, 3.053) && close(q.dayHigh, 3.06507) && close(q.dayLow, 2.991))
        #expect(q.volume == 145_121)  // shares, not pence
        #expect(close(q.bars.first?.close, 12.595) && close(q.bars.first?.open, 12.795))
        #expect(q.bars.first?.volume == 728_520)
        #expect(q.exchangeName == "LSE" && q.delayMinutes == 15 && q.isDelayed)
        let quote = q.quote(for: "OCDO")
        #expect(close(quote.last, 3.053) && quote.delayed)
    }

    @Test func chartXetra() throws {
        let q = try chartQuote("yahoo/yahoo_chart_GS2C.DE.json")
        #expect(q.symbol == "GS2C.DE" && q.price == 19.948 && q.currency == "EUR")
        #expect(q.exchangeName == "GER" && q.delayMinutes == 15)
        #expect(q.previousClose == nil)  // range 5d
        #expect(q.bars.count == 5 && q.bars.last?.time == ms(1_761_755_744))
        // The recorded trading period is the next day's: the previous day's last price is not stale.
        #expect(!q.isStale(now: q.marketTime + 3_600_000, pollInterval: .seconds(15)))
    }

    @Test func chartNullCurrency() throws {
        let q = try chartQuote("yahoo/yahoo_chart_LUCYW_null_currency.json")
        #expect(q.symbol == "LUCYW" && q.currency == nil)
        #expect(q.price == 0.1246 && q.marketTime == ms(1_749_822_360))
        #expect(q.bars.isEmpty)
        #expect(q.exchangeName == "NCM" && q.delayMinutes == 0)
        // end before start in the recording's key order: still read by name.
        #expect(q.regularPeriod == YahooTradingPeriod(start: 1_749_821_400, end: 1_749_844_800))
    }

    // MARK: Errors, recorded and reconstructed

    @Test func chartNotFoundIsAnUnknownSymbol() throws {
        #expect(try chart("yahoo/reconstructed/yahoo_chart_notfound_404.json")
            == .unknownSymbol("No data found, symbol may be delisted"))
        // The recorded quoteSummary 404 has the same envelope.
        #expect(try chart("yahoo/yahoo_quoteSummary_notfound_404.json")
            == .unknownSymbol("No fundamentals data found for any of the summaryTypes=assetProfile"))
    }

    @Test func chartRangeTooLongIsUnavailable() throws {
        guard case let .unavailable(message) = try chart("yahoo/reconstructed/yahoo_chart_range_too_long_422.json")
        else { Issue.record("422 not unavailable"); return }
        #expect(message.contains("422") && message.contains("Unprocessable Entity"))
        #expect(message.contains("Only 8 days worth of 1m granularity data"))
    }

    @Test func badRequestIsUnavailable() throws {
        #expect(try chart("yahoo/yahoo_search_badrequest_400.json")
            == .unavailable("HTTP 400 Bad Request: Missing required query parameter=q"))
    }

    @Test func tooManyRequestsText() throws {
        let r = try HTTPFixtures.response("yahoo/reconstructed/yahoo_429_body.txt")
        #expect(String(decoding: r.body, as: UTF8.self) == "Edge: Too Many Requests")
        #expect(YahooParsing.parseChart(status: r.status, contentType: r.contentType, body: r.body, now: now)
            == .rateLimited)
        #expect(YahooParsing.parseQuotes(status: r.status, contentType: r.contentType, body: r.body, now: now)
            == .rateLimited)
        #expect(YahooParsing.parseCrumb(status: r.status, contentType: r.contentType, body: r.body) == .rateLimited)
        // The same text with a 200 (as the crumb endpoint has been seen to) is still a rate limit.
        #expect(YahooParsing.parseCrumb(status: 200, contentType: "text/plain", body: r.body) == .rateLimited)
        #expect(YahooParsing.parseChart(status: 200, contentType: "text/plain", body: r.body, now: now) == .rateLimited)
    }

    @Test func theWordsInsideAQuoteAreNotARateLimit() throws {
        let r = try HTTPFixtures.response("yahoo/yahoo_quote_v7_AAPL.json")
        let text = String(decoding: r.body, as: UTF8.self)
            .replacingOccurrences(of: "\"shortName\":\"Apple Inc.\"", with: "\"shortName\":\"Too Many Requests Inc.\"")
        #expect(text.contains("Too Many Requests Inc."))
        guard case let .quotes(quotes) = YahooParsing.parseQuotes(
            status: 200, contentType: r.contentType, body: Data(text.utf8), now: now), case .quote = quotes["AAPL"]
        else { Issue.record("a quote mentioning the words was taken for a rate limit"); return }
    }

    @Test func invalidCrumbIsUnauthorized() throws {
        #expect(try v7("yahoo/reconstructed/yahoo_quote_v7_invalid_crumb_401.json") == .unauthorized("Invalid Crumb"))
        let long = #"{"finance":{"result":null,"error":{"code":"Unauthorized","description":"Invalid Crumb. For Developers - https://bit.ly/yahoo-finance-api-feedback"}}}"#
        guard case let .unauthorized(message) = YahooParsing.parseQuotes(
            status: 401, contentType: "application/json", body: Data(long.utf8), now: now)
        else { Issue.record("long invalid-crumb body not unauthorized"); return }
        #expect(message.hasPrefix("Invalid Crumb."))
        // Unauthorized with no body at all.
        #expect(YahooParsing.parseQuotes(status: 401, contentType: nil, body: Data(), now: now)
            == .unauthorized("HTTP 401 (empty body)"))
    }

    @Test func crumb() throws {
        let r = try HTTPFixtures.response("yahoo/yahoo_getcrumb_body.txt")
        #expect(YahooParsing.parseCrumb(status: r.status, contentType: r.contentType, body: r.body) == .crumb("haT3oykhHqZ"))
        #expect(YahooParsing.parseCrumb(status: 200, contentType: "text/plain", body: Data("abc/Def.123\n".utf8))
            == .crumb("abc/Def.123"))
        if case .crumb = YahooParsing.parseCrumb(status: 200, contentType: "text/plain", body: Data()) {
            Issue.record("empty body accepted as a crumb")
        }
        if case .crumb = YahooParsing.parseCrumb(status: 200, contentType: "text/html", body: Data("<html>".utf8)) {
            Issue.record("HTML accepted as a crumb")
        }
        if case .crumb = YahooParsing.parseCrumb(status: 200, contentType: "application/json", body: Data(#"{"a":1}"#.utf8)) {
            Issue.record("JSON accepted as a crumb")
        }
        #expect(YahooParsing.parseCrumb(status: 403, contentType: nil, body: Data()) == .unauthorized("getcrumb: HTTP 403 (empty body)"))
        if case .crumb = YahooParsing.parseCrumb(status: 500, contentType: "text/plain", body: Data("haT3oykhHqZ".utf8)) {
            Issue.record("a 500 accepted as a crumb")
        }
    }

    // MARK: v7 quote, recorded

    @Test func v7AppleAndAlibaba() throws {
        let quotes = try v7Quotes("yahoo/yahoo_quote_v7_AAPL-BABA_withcrumb.json", requested: ["AAPL", "BABA"])
        #expect(quotes.count == 2)
        let aapl = try v7Quote("yahoo/yahoo_quote_v7_AAPL-BABA_withcrumb.json", "AAPL")
        #expect(aapl.price == 244.6 && aapl.marketTime == ms(1_739_566_800))
        #expect(aapl.open == 241.07 && aapl.dayHigh == 245.41 && aapl.dayLow == 241 && aapl.volume == 40_896_227)
        #expect(aapl.previousClose == 241.53)
        #expect(aapl.bid == 244.44 && aapl.ask == 253.37 && aapl.bidSize == 2 && aapl.askSize == 1)
        #expect(aapl.marketState == "CLOSED" && aapl.exchangeName == "NMS" && aapl.instrumentType == "EQUITY")
        #expect(aapl.delayMinutes == 0 && !aapl.isDelayed && aapl.quoteSourceName == "Nasdaq Real Time Price")
        let baba = try v7Quote("yahoo/yahoo_quote_v7_AAPL-BABA_withcrumb.json", "BABA")
        #expect(baba.price == 124.73 && baba.exchangeName == "NYQ" && baba.previousClose == 119.54)
        #expect(baba.marketTime == ms(1_739_566_802))

        // Market CLOSED: out-of-hours book is not passed on; the session figures are.
        let quote = aapl.quote(for: "AAPL")
        #expect(quote.bid == nil && quote.ask == nil && quote.bidSize == nil)
        #expect(quote.last == 244.6 && quote.open == 241.07 && quote.close == 241.53)
        #expect(quote.timestamp == ms(1_739_566_800) && !quote.delayed && !quote.stale)
        #expect(quote.changePercent.map { abs($0 - 1.2710667) < 1e-4 } == true)
    }

    @Test func v7AppleAlone() throws {
        let aapl = try v7Quote("yahoo/yahoo_quote_v7_AAPL.json", "AAPL")
        #expect(aapl.price == 269.7 && aapl.marketTime == ms(1_761_768_001) && aapl.previousClose == 269.0)
        #expect(aapl.open == 269.275 && aapl.marketState == "POSTPOST")
        // The junk post-post book is recorded, then dropped from the quote.
        #expect(aapl.bid == 255.72 && aapl.ask == 269.86)
        let quote = aapl.quote(for: "AAPL")
        #expect(quote.bid == nil && quote.ask == nil && !quote.stale)
    }

    @Test func v7AppleAndMicrosoft() throws {
        let quotes = try v7Quotes("yahoo/yahoo_quote_v7_AAPL-MSFT.json")
        #expect(Set(quotes.keys) == ["AAPL", "MSFT"])
        let msft = try v7Quote("yahoo/yahoo_quote_v7_AAPL-MSFT.json", "MSFT")
        #expect(msft.price == 541.55 && msft.previousClose == 542.07 && msft.open == 544.94)
        #expect(msft.bid == 540.89 && msft.ask == 542.56 && msft.volume == 33_295_714)
        #expect(msft.marketTime == ms(1_761_768_001))
    }

    @Test func v7EuroDollarIsADelayedQuoteWithACrossedBook() throws {
        let eur = try v7Quote("yahoo/yahoo_quote_v7_EURUSD=X.json", "EURUSD=X")
        #expect(eur.price == 1.0489877 && eur.marketTime == ms(1_739_789_683))
        #expect(eur.instrumentType == "CURRENCY" && eur.marketState == "REGULAR")
        #expect(eur.delayMinutes == 0 && eur.quoteSourceName == "Delayed Quote" && eur.isDelayed)
        // bid 1.0489877 > ask 1.0484378: not passed on.
        let quote = eur.quote(for: "EUR.USD", now: eur.marketTime + 1_000)
        #expect(quote.bid == nil && quote.ask == nil && quote.last == 1.0489877 && quote.delayed)
        #expect(quote.close == 1.0495383 && quote.open == 1.0494281)
    }

    @Test func v7GoldFuture() throws {
        let gold = try v7Quote("yahoo/yahoo_quote_v7_GC=F_future.json", "GC=F")
        #expect(gold.price == 2910.3 && gold.delayMinutes == 10 && gold.isDelayed)
        #expect(gold.exchangeName == "CMX" && gold.instrumentType == "FUTURE" && gold.marketState == "REGULAR")
        let quote = gold.quote(for: "GC", now: gold.marketTime + 60_000)
        #expect(quote.bid == 2910.7 && quote.ask == 2910.8 && quote.bidSize == 14 && quote.askSize == 8)
        #expect(quote.delayed && !quote.stale)
        // v7 has no trading period: REGULAR means in session, so old data goes stale after 10 min + 3 polls.
        #expect(gold.quote(for: "GC", pollInterval: .seconds(15), now: gold.marketTime + 645_001).stale)
    }

    @Test func v7LondonDelayedFifteenInPounds() throws {
        let ocado = try v7Quote("yahoo/yahoo_quote_v7_OCDO.L_delayed15.json", "OCDO.L")
        #expect(ocado.currency == "GBP" && ocado.delayMinutes == 15 && ocado.isDelayed)
        #expect(close(ocado.price, 3.088) && close(ocado.previousClose, 3.152) && close(ocado.open, 3.082))
        #expect(close(ocado.bid, 3.085) && close(ocado.ask, 3.088))
        #expect(ocado.volume == 113_925)
        let quote = ocado.quote(for: "OCDO", now: ocado.marketTime)
        #expect(close(quote.bid, 3.085) && quote.bidSize == nil && quote.askSize == nil)  // sizes 0 → unknown
    }

    @Test func v7DelistedIsUnknown() throws {
        let quotes = try v7Quotes("yahoo/yahoo_quote_v7_SIMP_delisted_NONE.json")
        #expect(quotes == ["SIMP": .unknownSymbol("SIMP: delisted or renamed (quoteType NONE)")])
    }

    @Test func v7EmptyResultIsUnknown() throws {
        #expect(try v7Quotes("yahoo/yahoo_quote_v7_unknown_symbol_empty.json").isEmpty)
        let quotes = try v7Quotes("yahoo/yahoo_quote_v7_unknown_symbol_empty.json", requested: ["GS2C"])
        #expect(quotes == ["GS2C": .unknownSymbol("GS2C: not in Yahoo's answer (unknown symbol)")])
        // In a batch, the missing symbol is unknown and the others quote.
        let mixed = try v7Quotes("yahoo/yahoo_quote_v7_AAPL.json", requested: ["aapl", "NOPE"])
        #expect(mixed.count == 2)
        #expect(mixed["NOPE"] == .unknownSymbol("NOPE: not in Yahoo's answer (unknown symbol)"))
        if case .quote = mixed["AAPL"] {} else { Issue.record("AAPL not quoted") }
    }

    // MARK: Synthetic bad inputs

    func syntheticChart(meta: String) -> Data {
        Data(#"{"chart":{"result":[{"meta":{\#(meta)},"indicators":{"quote":[{}]}}],"error":null}}"#.utf8)
    }

    @Test func truncatedJSON() throws {
        let r = try HTTPFixtures.response("yahoo/yahoo_chart_AAPL.json")
        for length in [0, 1, 37, r.body.count / 2, r.body.count - 1] {
            let outcome = YahooParsing.parseChart(
                status: 200, contentType: r.contentType, body: r.body.prefix(length), now: now)
            guard case let .unavailable(message) = outcome else {
                Issue.record("truncated at \(length): \(outcome)")
                continue
            }
            #expect(message.hasPrefix("malformed JSON (\(length) bytes"))
        }
        let v7 = try HTTPFixtures.response("yahoo/yahoo_quote_v7_AAPL.json")
        guard case let .unavailable(message) = YahooParsing.parseQuotes(
            status: 200, contentType: v7.contentType, body: v7.body.prefix(500), now: now)
        else { Issue.record("truncated v7 not unavailable"); return }
        #expect(message.contains("malformed JSON"))
    }

    @Test func maintenancePageAndOtherHTML() {
        let page = Data("<!DOCTYPE html><html><head><title>Yahoo</title></head><body><h1>Will be right back...</h1></body></html>".utf8)
        #expect(YahooParsing.parseChart(status: 200, contentType: "text/html; charset=utf-8", body: page, now: now)
            == .unavailable("Yahoo maintenance page (\"Will be right back\"), HTTP 200"))
        #expect(YahooParsing.parseQuotes(status: 503, contentType: "text/html", body: page, now: now)
            == .unavailable("Yahoo maintenance page (\"Will be right back\"), HTTP 503"))
        // HTML without the marker, and without a content type.
        let gateway = Data("<html><body>502 Bad Gateway</body></html>".utf8)
        guard case let .unavailable(message) = YahooParsing.parseChart(status: 502, contentType: nil, body: gateway, now: now)
        else { Issue.record("502 HTML not unavailable"); return }
        #expect(message.contains("HTTP 502") && message.contains("HTML") && message.contains("502 Bad Gateway"))
    }

    @Test func serverErrors() {
        guard case let .unavailable(message) = YahooParsing.parseChart(
            status: 503, contentType: "text/plain", body: Data("Service Unavailable".utf8), now: now)
        else { Issue.record("503 not unavailable"); return }
        #expect(message == "Yahoo server error HTTP 503: \"Service Unavailable\"")
        let envelope = Data(#"{"chart":{"result":null,"error":{"code":"Internal Server Error","description":"boom"}}}"#.utf8)
        #expect(YahooParsing.parseChart(status: 500, contentType: "application/json", body: envelope, now: now)
            == .unavailable("Yahoo server error HTTP 500: Internal Server Error: boom"))
        #expect(YahooParsing.parseQuotes(status: 504, contentType: nil, body: Data(), now: now)
            == .unavailable("Yahoo server error HTTP 504: (empty body)"))
        #expect(YahooParsing.parseChart(status: 302, contentType: nil, body: Data(), now: now)
            == .unavailable("HTTP 302 redirect (EU consent page?): (empty body)"))
        // A 404 that is not Yahoo's JSON envelope is not evidence the symbol is unknown.
        guard case .unavailable = YahooParsing.parseChart(status: 404, contentType: "text/plain", body: Data("nope".utf8), now: now)
        else { Issue.record("bare 404 not unavailable"); return }
    }

    @Test func numbersAsStringsAndIntegers() {
        let body = syntheticChart(meta: #"""
            "currency":"USD","symbol":"XYZ","exchangeName":"NYQ","instrumentType":"EQUITY",
            "regularMarketTime":"1742824293","regularMarketPrice":"123.4","regularMarketDayHigh":125,
            "regularMarketDayLow":" 120.5 ","regularMarketVolume":"1000","previousClose":"122",
            "currentTradingPeriod":{"regular":{"start":"1742823000","end":1742846400}}
            """#)
        guard case let .quote(q) = YahooParsing.parseChart(status: 200, contentType: nil, body: body, now: now)
        else { Issue.record("string numbers not parsed"); return }
        #expect(q.price == 123.4 && q.marketTime == ms(1_742_824_293))
        #expect(q.dayHigh == 125 && q.dayLow == 120.5 && q.volume == 1000 && q.previousClose == 122)
        #expect(q.regularPeriod == YahooTradingPeriod(start: 1_742_823_000, end: 1_742_846_400))

        let v7 = Data(#"{"quoteResponse":{"result":[{"symbol":"XYZ","quoteType":"EQUITY","regularMarketPrice":"7.5","regularMarketTime":1742824293,"bid":"7.4","ask":7.6,"exchangeDataDelayedBy":"15","marketState":"REGULAR"}],"error":null}}"#.utf8)
        guard case let .quotes(quotes) = YahooParsing.parseQuotes(status: 200, contentType: nil, body: v7, now: now),
              case let .quote(x) = quotes["XYZ"]
        else { Issue.record("v7 string numbers not parsed"); return }
        #expect(x.price == 7.5 && x.bid == 7.4 && x.ask == 7.6 && x.delayMinutes == 15)
    }

    @Test func junkNumbersAreAbsentNotZero() {
        let body = syntheticChart(meta: #""symbol":"XYZ","regularMarketTime":1742824293,"regularMarketPrice":"N/A""#)
        #expect(YahooParsing.parseChart(status: 200, contentType: nil, body: body, now: now)
            == .unavailable("no price (regularMarketPrice missing) in the chart for XYZ"))
        let high = syntheticChart(meta: #""symbol":"XYZ","regularMarketTime":1742824293,"regularMarketPrice":1,"regularMarketDayHigh":"nan","regularMarketDayLow":true"#)
        guard case let .quote(q) = YahooParsing.parseChart(status: 200, contentType: nil, body: high, now: now)
        else { Issue.record("no quote"); return }
        #expect(q.dayHigh == nil && q.dayLow == nil)
    }

    @Test func missingPrice() throws {
        let r = try HTTPFixtures.response("yahoo/yahoo_chart_AAPL.json")
        let text = String(decoding: r.body, as: UTF8.self)
            .replacingOccurrences(of: "\"regularMarketPrice\":220.003,", with: "")
        #expect(YahooParsing.parseChart(status: 200, contentType: r.contentType, body: Data(text.utf8), now: now)
            == .unavailable("no price (regularMarketPrice missing) in the chart for AAPL"))
        let v7 = Data(#"{"quoteResponse":{"result":[{"symbol":"ODD","quoteType":"EQUITY","regularMarketTime":1}],"error":null}}"#.utf8)
        #expect(YahooParsing.parseQuotes(status: 200, contentType: nil, body: v7, now: now)
            == .quotes(["ODD": .unavailable("no price (regularMarketPrice missing) for ODD")]))
    }

    @Test func missingMarketTimeFallsBackToTheLastBar() {
        let body = Data(#"{"chart":{"result":[{"meta":{"symbol":"XYZ","regularMarketPrice":5},"timestamp":[1700000000,1700000060],"indicators":{"quote":[{"close":[4.9,null],"open":[null]}]}}],"error":null}}"#.utf8)
        guard case let .quote(q) = YahooParsing.parseChart(status: 200, contentType: nil, body: body, now: now)
        else { Issue.record("no quote"); return }
        #expect(q.marketTime == ms(1_700_000_060))
        #expect(q.bars == [
            YahooBar(time: ms(1_700_000_000), open: nil, high: nil, low: nil, close: 4.9, volume: nil),
            YahooBar(time: ms(1_700_000_060), open: nil, high: nil, low: nil, close: nil, volume: nil),
        ])
        #expect(q.delayMinutes == YahooParsing.defaultDelayMinutes)  // no exchange: assume delayed
        let none = syntheticChart(meta: #""symbol":"XYZ","regularMarketPrice":5"#)
        #expect(YahooParsing.parseChart(status: 200, contentType: nil, body: none, now: now)
            == .unavailable("no regularMarketTime in the chart for XYZ"))
    }

    @Test func oddShapes() {
        let cases: [(String, YahooOutcome)] = [
            (#"[]"#, .unavailable("JSON that is not an object: \"[]\"")),
            (#"{"foo":1}"#, .unavailable("chart response without a \"chart\" object (keys: foo)")),
            (#"{"chart":{"result":null,"error":null}}"#, .unavailable("chart response with neither a result nor an error")),
            (#"{"chart":{"result":[],"error":null}}"#, .unknownSymbol("chart result is empty")),
            (#"{"chart":{"result":[{}],"error":null}}"#, .unavailable("chart result without meta")),
            (#"{"chart":{"result":null,"error":{"code":"Not Found","description":"gone"}}}"#, .unknownSymbol("gone")),
            (#"{"chart":{"result":null,"error":{"code":"Bad Request","description":"bad"}}}"#, .unavailable("Bad Request: bad")),
        ]
        for (body, expected) in cases {
            #expect(YahooParsing.parseChart(status: 200, contentType: "application/json", body: Data(body.utf8), now: now) == expected)
        }
        let garbage = Data([0xFF, 0xFE, 0x00, 0x7B, 0x80])
        guard case .unavailable = YahooParsing.parseChart(status: 200, contentType: nil, body: garbage, now: now)
        else { Issue.record("binary garbage not unavailable"); return }
        #expect(YahooParsing.parseQuotes(status: 200, contentType: nil, body: Data(#"{"quoteResponse":{"result":null,"error":null}}"#.utf8), now: now)
            == .unavailable("v7 quote response without quoteResponse.result (keys: quoteResponse)"))
    }

    @Test func otherMinorCurrencies() {
        let body = syntheticChart(meta: #""symbol":"NPN.JO","currency":"ZAc","exchangeName":"JNB","regularMarketTime":1,"regularMarketPrice":350000"#)
        guard case let .quote(q) = YahooParsing.parseChart(status: 200, contentType: nil, body: body, now: now)
        else { Issue.record("no quote"); return }
        #expect(q.currency == "ZAR" && q.price == 3500 && q.delayMinutes == 15)
    }

    @Test func delayTable() {
        for exchange in ["NMS", "NYQ", "NGM", "NCM", "PCX", "ASE", "BTS", "CCY", "CCC"] {
            #expect(YahooParsing.delayMinutes(forExchange: exchange) == 0)
        }
        for exchange in ["CMX", "NYM", "CBT", "CME"] { #expect(YahooParsing.delayMinutes(forExchange: exchange) == 10) }
        for exchange in ["LSE", "OSL", "TOR", "MIL", "GER"] { #expect(YahooParsing.delayMinutes(forExchange: exchange) == 15) }
        #expect(YahooParsing.delayMinutes(forExchange: "ZZZ") == 15)
        #expect(YahooParsing.delayMinutes(forExchange: nil) == 15)
        #expect(YahooParsing.delayMinutes(forExchange: "nms") == 0)
    }
}
