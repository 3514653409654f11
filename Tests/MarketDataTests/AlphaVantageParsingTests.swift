import Foundation
import MarketData
import ProviderParsing
import Testing
import TickhubCore

@Suite("Alpha Vantage parsing")
struct AlphaVantageParsingTests {
    func globalQuote(_ path: String, apiKey: String? = nil) throws -> AlphaVantageOutcome {
        let r = try HTTPFixtures.response(path)
        return AlphaVantageParsing.parseGlobalQuote(status: r.status, contentType: r.contentType, body: r.body, apiKey: apiKey)
    }

    func parse(_ json: String, status: Int = 200, contentType: String? = "application/json", apiKey: String? = nil)
        -> AlphaVantageOutcome
    {
        AlphaVantageParsing.parseGlobalQuote(status: status, contentType: contentType, body: Data(json.utf8), apiKey: apiKey)
    }

    // MARK: GLOBAL_QUOTE, recorded

    @Test func ibm() throws {
        guard case let .quote(q) = try globalQuote("alphavantage/av_global_quote_IBM.json")
        else { Issue.record("IBM not a quote"); return }
        #expect(q.symbol == "IBM")
        #expect(q.open == 122.67 && q.high == 122.8 && q.low == 121.06 && q.price == 121.74)
        #expect(q.volume == 2_528_814 && q.previousClose == 121.23 && q.change == 0.51 && q.changePercent == 0.4207)
        #expect(q.latestTradingDay == "2020-05-08" && !q.entitlementDelayed)
        // 2020-05-08 16:00 EDT = 20:00 UTC.
        #expect(q.sessionClose == 1_588_968_000_000)

        let quote = q.quote(for: "IBM", isLatestSession: true)
        #expect(quote.source == .alphaVantage && quote.symbol == "IBM")
        #expect(quote.last == 121.74 && quote.open == 122.67 && quote.high == 122.8 && quote.low == 121.06)
        #expect(quote.volume == 2_528_814 && quote.close == 121.23)
        #expect(quote.timestamp == 1_588_968_000_000 && quote.delayed && !quote.stale)
        #expect(quote.bid == nil && quote.ask == nil)
        #expect(q.quote(for: "IBM", isLatestSession: false).stale)
    }

    @Test func msft() throws {
        guard case let .quote(q) = try globalQuote("alphavantage/av_global_quote_MSFT.json")
        else { Issue.record("MSFT not a quote"); return }
        #expect(q.symbol == "MSFT" && q.price == 112.13 && q.previousClose == 112.79)
        #expect(q.change == -0.66 && q.changePercent == -0.5852 && q.volume == 29_062_853)
        #expect(q.latestTradingDay == "2018-10-05" && q.sessionClose == 1_538_769_600_000)
    }

    @Test func emptyGlobalQuoteIsAnUnknownSymbol() throws {
        #expect(try globalQuote("alphavantage/reconstructed/av_global_quote_unknown_symbol_empty.json") == .unknownSymbol)
        #expect(parse(#"{"Global Quote": {"01. symbol": ""}}"#) == .unknownSymbol)
    }

    // MARK: Notices

    @Test func dailyLimit() throws {
        guard case let .rateLimited(kind, message) = try globalQuote(
            "alphavantage/reconstructed/av_rate_limit_daily_information.json")
        else { Issue.record("daily text not a rate limit"); return }
        #expect(kind == .daily)
        #expect(message.hasPrefix("Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."))
    }

    @Test func dailyLimitEchoingTheKeyIsRedacted() throws {
        guard case let .rateLimited(kind, message) = try globalQuote(
            "alphavantage/reconstructed/av_rate_limit_daily_detected_key.json")
        else { Issue.record("detected-key text not a rate limit"); return }
        #expect(kind == .daily)
        #expect(message.hasPrefix("We have detected your API key as *** and our standard API rate limit is 25 requests per day."))
        #expect(!message.contains("XXXXXXXXXXXXXXXX"))
        // A real-looking key is redacted by pattern, and the configured key wherever it appears.
        let body = #"{"Information":"We have detected your API key as 7HX2Q9LMZP0A1B2C and our standard API rate limit is 25 requests per day. Key 7HX2Q9LMZP0A1B2C."}"#
        guard case let .rateLimited(_, redacted) = parse(body, apiKey: "7HX2Q9LMZP0A1B2C")
        else { Issue.record("not a rate limit"); return }
        #expect(!redacted.contains("7HX2Q9LMZP0A1B2C"))
        #expect(redacted.contains("API key as ***") && redacted.hasSuffix("Key ***."))
    }

    @Test(arguments: [
        "alphavantage/reconstructed/av_rate_limit_burst_information.json",
        "alphavantage/reconstructed/av_rate_limit_burst_information_2025-12.json",
    ])
    func burstLimit(path: String) throws {
        // Both texts also mention "(25 requests per day)" and premium endpoints: still burst.
        guard case let .rateLimited(kind, message) = try globalQuote(path)
        else { Issue.record("burst text not a rate limit"); return }
        #expect(kind == .burst)
        #expect(message.contains("more sparingly"))
    }

    @Test func historicalPerMinuteNoteIsBurst() throws {
        guard case let .rateLimited(kind, message) = try globalQuote("alphavantage/av_rate_limit_note.json")
        else { Issue.record("Note not a rate limit"); return }
        #expect(kind == .burst)
        #expect(message.contains("5 calls per minute and 500 calls per day"))
    }

    @Test func premiumEndpoint() throws {
        guard case let .rateLimited(kind, message) = try globalQuote(
            "alphavantage/reconstructed/av_premium_endpoint_information.json")
        else { Issue.record("premium text not a rate limit"); return }
        #expect(kind == .premium && message.contains("This is a premium endpoint"))
    }

    @Test func demoKey() throws {
        guard case let .rateLimited(kind, message) = try globalQuote("alphavantage/av_demo_key_information.json")
        else { Issue.record("demo text not a rate limit"); return }
        #expect(kind == .demo && message.hasPrefix("The **demo** API key is for demo purposes only."))
    }

    @Test func limitKinds() {
        #expect(AlphaVantageParsing.limitKind(of: "Please kindly contact support@alphavantage.co if you would like to have a higher API call volume") == .burst)
        #expect(AlphaVantageParsing.limitKind(of: "Something new.") == .other)
        #expect(parse(#"{"Information":"Something new."}"#) == .rateLimited(.other, message: "Something new."))
    }

    @Test func invalidKey() throws {
        #expect(try globalQuote("alphavantage/reconstructed/av_invalid_apikey.json") == .invalidKey)
    }

    @Test func invalidCall() throws {
        #expect(try globalQuote("alphavantage/reconstructed/av_invalid_api_call_global_quote.json")
            == .error("Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for GLOBAL_QUOTE."))
        // The configured key is redacted from an echoed URL.
        #expect(parse(#"{"Error Message":"Invalid API call for /query?function=X&apikey=SECRET99"}"#, apiKey: "SECRET99")
            == .error("Invalid API call for /query?function=X&apikey=***"))
    }

    @Test func errorMessageWinsOverEverythingElse() {
        #expect(parse(#"{"Error Message":"the parameter apikey is invalid or missing.","Information":"x","Global Quote":{}}"#)
            == .invalidKey)
        guard case .rateLimited(.daily, _) = parse(#"{"Note":"25 requests per day","Global Quote":{}}"#)
        else { Issue.record("Note did not win over Global Quote"); return }
    }

    // MARK: Other functions' bodies

    @Test func realtimeBulkDemoIsNotAGlobalQuote() throws {
        #expect(try globalQuote("alphavantage/av_realtime_bulk_quotes_demo.json")
            == .unavailable("not a GLOBAL_QUOTE answer (keys: data, endpoint, message)"))
    }

    @Test(arguments: [
        "alphavantage/av_currency_exchange_rate_BTC_CNY.json",
        "alphavantage/av_currency_exchange_rate_BTC_CNY_2017.json",
        "alphavantage/av_currency_exchange_rate_USD_JPY_no_bid_ask.json",
    ])
    func exchangeRateBodiesAreNotGlobalQuotes(path: String) throws {
        #expect(try globalQuote(path) == .unavailable("not a GLOBAL_QUOTE answer (keys: Realtime Currency Exchange Rate)"))
    }

    // MARK: Synthetic

    @Test func delayedEntitlementKey() {
        let body = #"{"Global Quote - DATA DELAYED BY 15 MINUTES": {"01. symbol": "IBM", "02. open": "250.0000", "03. high": "252.1000", "04. low": "249.5000", "05. price": "251.2500", "06. volume": "3120456", "07. latest trading day": "2025-01-10", "08. previous close": "249.9000", "09. change": "1.3500", "10. change percent": "0.5402%"}}"#
        guard case let .quote(q) = parse(body) else { Issue.record("delayed key not a quote"); return }
        #expect(q.symbol == "IBM" && q.price == 251.25 && q.changePercent == 0.5402 && q.entitlementDelayed)
        // 2025-01-10 16:00 EST = 21:00 UTC.
        #expect(q.sessionClose == 1_736_542_800_000)
    }

    @Test func numbersAsNumbersAndOddStrings() {
        let body = #"{"Global Quote": {"01. symbol": "XYZ", "05. price": 10, "06. volume": "-", "07. latest trading day": "2024-03-08", "10. change percent": "abc%"}}"#
        guard case let .quote(q) = parse(body) else { Issue.record("not a quote"); return }
        #expect(q.price == 10 && q.volume == nil && q.changePercent == nil && q.open == nil)
    }

    @Test func quoteWithoutPriceOrDay() {
        #expect(parse(#"{"Global Quote": {"01. symbol": "XYZ", "07. latest trading day": "2024-03-08"}}"#)
            == .unavailable("GLOBAL_QUOTE for XYZ has no price"))
        #expect(parse(#"{"Global Quote": {"01. symbol": "XYZ", "05. price": "1.0", "07. latest trading day": "2024-02-30"}}"#)
            == .unavailable("GLOBAL_QUOTE for XYZ has no valid latest trading day"))
        #expect(parse(#"{"Global Quote": "IBM"}"#) == .unavailable("\"Global Quote\" is not an object"))
    }

    @Test func truncatedHTMLAndBadStatus() throws {
        let r = try HTTPFixtures.response("alphavantage/av_global_quote_IBM.json")
        for length in [0, 10, r.body.count / 2, r.body.count - 3] {
            let outcome = AlphaVantageParsing.parseGlobalQuote(body: r.body.prefix(length))
            guard case let .unavailable(message) = outcome else {
                Issue.record("truncated at \(length): \(outcome)")
                continue
            }
            #expect(message.hasPrefix("malformed JSON (\(length) bytes"))
        }
        let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
        guard case let .unavailable(message) = parse(html, contentType: "text/html") else {
            Issue.record("HTML not unavailable"); return
        }
        #expect(message.hasPrefix("an HTML page instead of JSON: \"<!DOCTYPE html>"))
        #expect(parse("{}", status: 503, contentType: "application/json") == .unavailable("Alpha Vantage HTTP 503: \"{}\""))
        #expect(parse("[1,2]") == .unavailable("JSON that is not an object: \"[1,2]\""))
        #expect(parse("{}") == .unavailable("not a GLOBAL_QUOTE answer (keys: )"))
    }

    // MARK: Session close times

    @Test func sessionCloseFollowsUSDaylightTime() throws {
        // The changes happen at 02:00, so the change days already close in the new offset.
        let cases: [(String, Int64)] = [
            ("2025-03-07", 21), ("2025-03-09", 20), ("2025-11-01", 20), ("2025-11-02", 21),
            ("2024-03-10", 20), ("2024-03-09", 21), ("2006-04-02", 20), ("2006-04-01", 21),
            ("2006-10-28", 20), ("2006-10-29", 21), ("2024-02-29", 21),
        ]
        for (day, utcHour) in cases {
            let millis = try #require(AlphaVantageParsing.sessionCloseMillis(day))
            #expect(millis % 86_400_000 == utcHour * 3_600_000, "\(day)")
        }
        #expect(AlphaVantageParsing.sessionCloseMillis("2023-02-29") == nil)
        #expect(AlphaVantageParsing.sessionCloseMillis("2024-13-01") == nil)
        #expect(AlphaVantageParsing.sessionCloseMillis("20240101") == nil)
        #expect(AlphaVantageParsing.sessionCloseMillis("") == nil)
        // fuzz-alphavantage: before standard time, New York's 16:00 was 20:56:02 UTC.
        #expect(AlphaVantageParsing.sessionCloseMillis("0677-10-05") == nil)
        #expect(AlphaVantageParsing.sessionCloseMillis("1899-12-29") == nil)
        let first = try #require(AlphaVantageParsing.sessionCloseMillis("1900-01-02"))
        #expect((first % 86_400_000 + 86_400_000) % 86_400_000 == 21 * 3_600_000, "before 1970 the stamp is negative")
    }

    @Test func sessionCloseAgreesWithFoundationsTimeZone() throws {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var day = try #require(calendar.date(from: DateComponents(year: 1995, month: 1, day: 1, hour: 16)))
        let end = try #require(calendar.date(from: DateComponents(year: 2035, month: 1, day: 1, hour: 16)))
        var checked = 0
        while day < end {
            let c = calendar.dateComponents([.year, .month, .day], from: day)
            let text = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            #expect(AlphaVantageParsing.sessionCloseMillis(text) == Int64(day.timeIntervalSince1970) * 1000, "\(text)")
            day = try #require(calendar.date(byAdding: .day, value: 1, to: day))
            checked += 1
        }
        #expect(checked > 14_000)
    }
}
