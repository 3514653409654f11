import Foundation
import TickhubCore

// Pure parsing of Yahoo Finance responses: v8 chart, v7 quote, getcrumb. No I/O; every input gives an outcome,
// never a crash. The recorded bodies are in Tests/Fixtures/yahoo.

/// The regular session of a chart response's `currentTradingPeriod.regular`, in Unix seconds.
public struct YahooTradingPeriod: Sendable, Equatable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// `start ≤ seconds < end`.
    public func contains(seconds: Int64) -> Bool { seconds >= start && seconds < end }
}

/// One bar of a chart's `indicators.quote[0]`. Yahoo's nulls stay nil.
public struct YahooBar: Sendable, Equatable {
    /// Bar start, milliseconds since the epoch.
    public var time: Int64
    public var open: Double?
    public var high: Double?
    public var low: Double?
    public var close: Double?
    public var volume: Double?

    public init(time: Int64, open: Double?, high: Double?, low: Double?, close: Double?, volume: Double?) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// One instrument's quote as Yahoo reported it, from a v8 chart `meta` or a v7 quote result.
///
/// Prices are in the main currency unit: pence (`GBp`) are already converted to pounds.
public struct YahooQuote: Sendable, Equatable {
    /// Yahoo's symbol (`EURUSD=X`, `BRK-B`), as echoed in the response.
    public var symbol: String
    /// `regularMarketPrice`.
    public var price: Double
    /// `regularMarketTime` in milliseconds since the epoch: the exchange time of `price`, the staleness anchor.
    public var marketTime: Int64
    /// `regularMarketOpen` (v7; chart meta does not carry it).
    public var open: Double?
    public var dayHigh: Double?
    public var dayLow: Double?
    public var volume: Double?
    /// Chart: `previousClose`, else `chartPreviousClose` when `range` is `1d`. v7: `regularMarketPreviousClose`.
    public var previousClose: Double?
    /// v7 only. See `quote(for:)` for when they are passed on.
    public var bid: Double?
    public var ask: Double?
    public var bidSize: Double?
    public var askSize: Double?
    /// ISO code, after the pence conversion (`GBp` → `GBP`). Yahoo sometimes sends null (LUCYW).
    public var currency: String?
    /// Chart `exchangeName` / v7 `exchange`: NMS, NYQ, LSE, CCY, CMX…
    public var exchangeName: String?
    /// Chart `instrumentType` / v7 `quoteType`: EQUITY, ETF, CURRENCY, CRYPTOCURRENCY, FUTURE, INDEX…
    public var instrumentType: String?
    /// v7 `exchangeDataDelayedBy`; for chart responses (no delay field) `YahooParsing.delayMinutes(forExchange:)`.
    public var delayMinutes: Int
    /// v7 `quoteSourceName` ("Nasdaq Real Time Price", "Delayed Quote"); nil for chart responses.
    public var quoteSourceName: String?
    /// v7 `marketState` (PRE, REGULAR, POST, POSTPOST, CLOSED…); nil for chart responses.
    public var marketState: String?
    /// Chart `currentTradingPeriod.regular`; nil for v7 responses.
    public var regularPeriod: YahooTradingPeriod?
    /// Chart bars (empty when Yahoo sent none: weekends, holidays, dead symbols; always empty for v7).
    public var bars: [YahooBar]
    /// The `now` given to the parser.
    public var receivedAt: Timestamp

    public init(
        symbol: String, price: Double, marketTime: Int64, open: Double? = nil, dayHigh: Double? = nil,
        dayLow: Double? = nil, volume: Double? = nil, previousClose: Double? = nil, bid: Double? = nil,
        ask: Double? = nil, bidSize: Double? = nil, askSize: Double? = nil, currency: String? = nil,
        exchangeName: String? = nil, instrumentType: String? = nil, delayMinutes: Int,
        quoteSourceName: String? = nil, marketState: String? = nil, regularPeriod: YahooTradingPeriod? = nil,
        bars: [YahooBar] = [], receivedAt: Timestamp
    ) {
        self.symbol = symbol
        self.price = price
        self.marketTime = marketTime
        self.open = open
        self.dayHigh = dayHigh
        self.dayLow = dayLow
        self.volume = volume
        self.previousClose = previousClose
        self.bid = bid
        self.ask = ask
        self.bidSize = bidSize
        self.askSize = askSize
        self.currency = currency
        self.exchangeName = exchangeName
        self.instrumentType = instrumentType
        self.delayMinutes = delayMinutes
        self.quoteSourceName = quoteSourceName
        self.marketState = marketState
        self.regularPeriod = regularPeriod
        self.bars = bars
        self.receivedAt = receivedAt
    }

    /// Delayed when Yahoo says the exchange data is delayed, or (v7) its source is a "Delayed Quote".
    public var isDelayed: Bool {
        delayMinutes > 0 || (quoteSourceName?.localizedCaseInsensitiveContains("delayed") ?? false)
    }

    /// Whether `now` (ms) falls in the regular session: the chart's trading period when known, else v7's
    /// `marketState == REGULAR`; when neither is known, assumed open, so that old data is still caught as stale.
    public func isInRegularSession(at now: Int64) -> Bool {
        if let regularPeriod { return regularPeriod.contains(seconds: now / 1000) }
        if let marketState { return marketState.uppercased() == "REGULAR" }
        return true
    }

    /// The doc's rule: in the regular session, stale when `now − marketTime > delay·60 s + 3·pollInterval`;
    /// outside it never stale (a closed market's last close is not stale).
    public func isStale(now: Int64, pollInterval: Duration) -> Bool {
        guard isInRegularSession(at: now) else { return false }
        let allowance = Int64(delayMinutes) * 60_000 + 3 * pollInterval.wholeMilliseconds
        return now - marketTime > allowance
    }

    /// The Tickhub quote for `symbol` (the Tickhub symbol, not Yahoo's).
    ///
    /// Bid and ask (v7 only) are passed on only in the regular session and when not crossed: Yahoo's
    /// out-of-hours and crossed books are junk (AAPL POSTPOST 255.72 / 269.86, EURUSD=X bid > ask).
    /// - Parameters:
    ///   - pollInterval: how often the caller polls this symbol, for the stale allowance.
    ///   - now: milliseconds since the epoch; defaults to `receivedAt`.
    public func quote(for symbol: String, pollInterval: Duration = .seconds(15), now: Int64? = nil) -> Quote {
        let now = now ?? receivedAt.milliseconds
        var quote = Quote(
            symbol: symbol, source: .yahoo, timestamp: marketTime, delayed: isDelayed,
            stale: isStale(now: now, pollInterval: pollInterval))
        quote.last = price
        quote.open = open
        quote.high = dayHigh
        quote.low = dayLow
        quote.volume = volume
        quote.close = previousClose
        let bookIsLive = marketState.map { $0.uppercased() == "REGULAR" } ?? true
        if bookIsLive, let bid, let ask, bid > 0, ask >= bid {
            quote.bid = bid
            quote.ask = ask
            quote.bidSize = bidSize.flatMap { $0 > 0 ? $0 : nil }
            quote.askSize = askSize.flatMap { $0 > 0 ? $0 : nil }
        }
        return quote
    }
}

/// What a Yahoo chart response (or one symbol of a v7 response) says.
public enum YahooOutcome: Sendable, Equatable {
    case quote(YahooQuote)
    /// Yahoo does not know the symbol, or it is delisted: 404 "No data found, symbol may be delisted", an empty v7
    /// result, a v7 `quoteType: NONE` stub. The message is Yahoo's description or says which of these it was.
    case unknownSymbol(String)
    /// HTTP 429 / "Edge: Too Many Requests": stop all Yahoo calls for a while.
    case rateLimited
    /// HTTP 401/403, e.g. "Invalid Crumb": refresh the cookie and crumb.
    case unauthorized(String)
    /// Anything else: 5xx, the "Will be right back" page, truncated JSON, 422, other 4xx, no price.
    case unavailable(String)
}

/// What a Yahoo v7 quote response says.
public enum YahooBatchOutcome: Sendable, Equatable {
    /// Per Yahoo symbol: `.quote`, `.unknownSymbol` or `.unavailable` (e.g. no price). Requested symbols missing
    /// from the answer are `.unknownSymbol`.
    case quotes([String: YahooOutcome])
    case rateLimited
    case unauthorized(String)
    case unavailable(String)
}

/// What the getcrumb endpoint says.
public enum YahooCrumbOutcome: Sendable, Equatable {
    case crumb(String)
    case rateLimited
    case unauthorized(String)
    case unavailable(String)
}

public enum YahooParsing {
    // MARK: Delay table

    /// Minutes of exchange delay by chart `exchangeName`, seeded from the recorded v7 `exchangeDataDelayedBy` values.
    public static let exchangeDelays: [String: Int] = {
        var table: [String: Int] = [:]
        // US exchanges, Yahoo's FX (CCY) and crypto (CCC): real time.
        for exchange in ["NMS", "NYQ", "NGM", "NCM", "PCX", "ASE", "BTS", "CCY", "CCC"] { table[exchange] = 0 }
        // CME group futures, and Jakarta.
        for exchange in ["CMX", "NYM", "CBT", "CME", "JKT"] { table[exchange] = 10 }
        // European and Canadian exchanges.
        for exchange in [
            "LSE", "OSL", "TOR", "MIL", "GER", "FRA", "PAR", "AMS", "BRU", "LIS", "EBS", "MCE", "CPH", "STO", "HEL",
            "VIE", "IOB", "VAN", "CNQ",
        ] { table[exchange] = 15 }
        return table
    }()

    /// The delay for an exchange not in `exchangeDelays`: assume the usual 15 minutes.
    public static let defaultDelayMinutes = 15

    public static func delayMinutes(forExchange exchange: String?) -> Int {
        guard let exchange else { return defaultDelayMinutes }
        return exchangeDelays[exchange.uppercased()] ?? defaultDelayMinutes
    }

    /// Quote currencies Yahoo gives in minor units, with the major currency and the divisor.
    public static let minorCurrencies: [String: (major: String, divisor: Double)] = [
        "GBp": ("GBP", 100), "GBX": ("GBP", 100), "ZAc": ("ZAR", 100), "ILA": ("ILS", 100),
    ]

    // MARK: v8 chart

    /// Parses a `/v8/finance/chart/{symbol}` response.
    /// - Parameter now: milliseconds since the epoch, kept as `receivedAt` for the stale decision.
    public static func parseChart(status: Int, contentType: String?, body: Data, now: Int64) -> YahooOutcome {
        let first: JSONValue
        switch chartResult(status: status, contentType: contentType, body: body) {
        case let .done(outcome): return outcome
        case let .result(result): first = result
        }
        guard let meta = first["meta"], meta.isObject else { return .unavailable("chart result without meta") }

        let symbol = meta["symbol"]?.string ?? ""
        let named = symbol.isEmpty ? "" : " for \(symbol)"
        guard let price = meta["regularMarketPrice"]?.number else {
            return .unavailable("no price (regularMarketPrice missing) in the chart\(named)")
        }
        let bars = chartBars(first)
        guard let marketTime = meta["regularMarketTime"]?.number.flatMap(secondsToMillis) ?? bars.last?.time else {
            return .unavailable("no regularMarketTime in the chart\(named)")
        }
        let range = meta["range"]?.string ?? ""
        var period: YahooTradingPeriod?
        if let regular = meta["currentTradingPeriod"]?["regular"],
           let start = regular["start"]?.number.flatMap(unixSeconds), let end = regular["end"]?.number.flatMap(unixSeconds) {
            period = YahooTradingPeriod(start: start, end: end)
        }
        let exchange = meta["exchangeName"]?.string
        var quote = YahooQuote(
            symbol: symbol, price: price, marketTime: marketTime,
            open: meta["regularMarketOpen"]?.number,
            dayHigh: meta["regularMarketDayHigh"]?.number, dayLow: meta["regularMarketDayLow"]?.number,
            volume: meta["regularMarketVolume"]?.number,
            previousClose: meta["previousClose"]?.number
                ?? (range == "1d" ? meta["chartPreviousClose"]?.number : nil),
            currency: meta["currency"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            exchangeName: exchange, instrumentType: meta["instrumentType"]?.string,
            delayMinutes: delayMinutes(forExchange: exchange), quoteSourceName: nil, marketState: nil,
            regularPeriod: period, bars: bars, receivedAt: .milliseconds(now))
        convertMinorCurrency(&quote)
        return .quote(quote)
    }

    enum ChartResult {
        case done(YahooOutcome)
        case result(JSONValue)
    }

    /// A chart response's first result (its quote and its bars), or the outcome that says why there is none: what
    /// `screen` stops, no "chart" object, an empty result (Yahoo does not know the symbol).
    static func chartResult(status: Int, contentType: String?, body: Data) -> ChartResult {
        let json: JSONValue
        switch screen(status: status, contentType: contentType, body: body) {
        case let .done(outcome): return .done(outcome)
        case let .json(parsed): json = parsed
        }
        guard let chart = json["chart"], chart.isObject else {
            return .done(.unavailable("chart response without a \"chart\" object (keys: \(json.keyList))"))
        }
        guard let results = chart["result"]?.array else {
            return .done(.unavailable("chart response with neither a result nor an error"))
        }
        guard let first = results.first else { return .done(.unknownSymbol("chart result is empty")) }
        return .result(first)
    }

    static func chartBars(_ result: JSONValue) -> [YahooBar] {
        guard let times = result["timestamp"]?.array, !times.isEmpty else { return [] }
        let series = result["indicators"]?["quote"]?.array?.first
        func column(_ name: String) -> [JSONValue] { series?[name]?.array ?? [] }
        let open = column("open"), high = column("high"), low = column("low")
        let close = column("close"), volume = column("volume")
        func value(_ column: [JSONValue], _ i: Int) -> Double? { i < column.count ? column[i].number : nil }
        return times.enumerated().compactMap { i, time in
            guard let millis = time.number.flatMap(secondsToMillis) else { return nil }
            return YahooBar(
                time: millis, open: value(open, i), high: value(high, i), low: value(low, i),
                close: value(close, i), volume: value(volume, i))
        }
    }

    // MARK: v7 quote

    /// Parses a `/v7/finance/quote?symbols=…` response.
    /// - Parameters:
    ///   - requested: the Yahoo symbols asked for; those absent from the answer come back as `.unknownSymbol`.
    ///   - now: milliseconds since the epoch, kept as `receivedAt` for the stale decision.
    public static func parseQuotes(
        status: Int, contentType: String?, body: Data, requested: [String] = [], now: Int64
    ) -> YahooBatchOutcome {
        let json: JSONValue
        switch screen(status: status, contentType: contentType, body: body) {
        case let .done(outcome):
            switch outcome {
            case .rateLimited: return .rateLimited
            case let .unauthorized(message): return .unauthorized(message)
            case let .unknownSymbol(message): return .unavailable("v7 quote: \(message)")
            case let .unavailable(message): return .unavailable(message)
            case .quote: return .unavailable("v7 quote: unexpected body")
            }
        case let .json(parsed): json = parsed
        }
        guard let results = json["quoteResponse"]?["result"]?.array else {
            return .unavailable("v7 quote response without quoteResponse.result (keys: \(json.keyList))")
        }
        var outcomes: [String: YahooOutcome] = [:]
        for item in results {
            guard let symbol = item["symbol"]?.string, !symbol.isEmpty else { continue }
            outcomes[symbol] = quoteResult(item, symbol: symbol, now: now)
        }
        let answered = Set(outcomes.keys.map { $0.uppercased() })
        for symbol in requested where !answered.contains(symbol.uppercased()) {
            outcomes[symbol] = .unknownSymbol("\(symbol): not in Yahoo's answer (unknown symbol)")
        }
        return .quotes(outcomes)
    }

    static func quoteResult(_ item: JSONValue, symbol: String, now: Int64) -> YahooOutcome {
        let type = item["quoteType"]?.string
        if type?.uppercased() == "NONE" {
            return .unknownSymbol("\(symbol): delisted or renamed (quoteType NONE)")
        }
        guard let price = item["regularMarketPrice"]?.number else {
            return .unavailable("no price (regularMarketPrice missing) for \(symbol)")
        }
        guard let marketTime = item["regularMarketTime"]?.number.flatMap(secondsToMillis) else {
            return .unavailable("no regularMarketTime for \(symbol)")
        }
        let exchange = item["exchange"]?.string
        var quote = YahooQuote(
            symbol: symbol, price: price, marketTime: marketTime,
            open: item["regularMarketOpen"]?.number,
            dayHigh: item["regularMarketDayHigh"]?.number, dayLow: item["regularMarketDayLow"]?.number,
            volume: item["regularMarketVolume"]?.number, previousClose: item["regularMarketPreviousClose"]?.number,
            bid: item["bid"]?.number, ask: item["ask"]?.number,
            bidSize: item["bidSize"]?.number, askSize: item["askSize"]?.number,
            currency: item["currency"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            exchangeName: exchange, instrumentType: type,
            delayMinutes: item["exchangeDataDelayedBy"]?.number.flatMap(delayMinutes(fromField:)) ?? delayMinutes(forExchange: exchange),
            quoteSourceName: item["quoteSourceName"]?.string, marketState: item["marketState"]?.string,
            regularPeriod: nil, bars: [], receivedAt: .milliseconds(now))
        convertMinorCurrency(&quote)
        return .quote(quote)
    }

    // MARK: getcrumb

    /// Parses a `/v1/test/getcrumb` response: the crumb as plain text.
    public static func parseCrumb(status: Int, contentType: String?, body: Data) -> YahooCrumbOutcome {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if status == 429 || isTooManyRequestsText(text) { return .rateLimited }
        let detail = "getcrumb: HTTP \(status) \(ParsingText.snippet(text))"
        if status == 401 || status == 403 { return .unauthorized(detail) }
        guard (200..<300).contains(status) else { return .unavailable(detail) }
        if ParsingText.looksLikeHTML(contentType: contentType, text: text) {
            return .unavailable("getcrumb: an HTML page instead of a crumb: \(ParsingText.snippet(text))")
        }
        guard !text.isEmpty else { return .unavailable("getcrumb: empty body (no cookie?)") }
        guard text.count <= 64, text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }),
              !text.hasPrefix("{")
        else { return .unavailable("getcrumb: not a crumb: \(ParsingText.snippet(text))") }
        return .crumb(text)
    }

    // MARK: Shared screening

    enum Screened {
        case done(YahooOutcome)
        case json(JSONValue)
    }

    /// Everything that is not a 2xx JSON body with data: rate limits, HTML pages, error envelopes, bad statuses,
    /// malformed JSON.
    static func screen(status: Int, contentType: String?, body: Data) -> Screened {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if status == 429 || isTooManyRequestsText(text) { return .done(.rateLimited) }
        if ParsingText.looksLikeHTML(contentType: contentType, text: text) {
            if text.localizedCaseInsensitiveContains("Will be right back") {
                return .done(.unavailable("Yahoo maintenance page (\"Will be right back\"), HTTP \(status)"))
            }
            return .done(.unavailable("HTTP \(status): an HTML page instead of JSON: \(ParsingText.snippet(text))"))
        }
        let parsed: JSONValue?
        var parseError = ""
        do {
            parsed = try JSONValue.decode(body)
        } catch {
            parsed = nil
            parseError = JSONValue.describe(error)
        }
        let envelope = parsed.flatMap(errorEnvelope)
        let detail = envelope.map { "\($0.code): \($0.description)" } ?? ParsingText.snippet(text)

        switch status {
        case 200..<300:
            break
        case 401, 403:
            return .done(.unauthorized(envelope?.description ?? "HTTP \(status) \(detail)"))
        case 404:
            if let envelope { return .done(.unknownSymbol(envelope.description)) }
            return .done(.unavailable("HTTP 404 without a Yahoo error body: \(detail)"))
        case 300..<400:
            return .done(.unavailable("HTTP \(status) redirect (EU consent page?): \(detail)"))
        case 400..<500:
            return .done(.unavailable("HTTP \(status) \(detail)"))
        case 500..<600:
            return .done(.unavailable("Yahoo server error HTTP \(status): \(detail)"))
        default:
            return .done(.unavailable("unexpected HTTP status \(status): \(detail)"))
        }

        guard let parsed else {
            return .done(.unavailable("malformed JSON (\(body.count) bytes, truncated?): \(parseError)"))
        }
        guard parsed.isObject else {
            return .done(.unavailable("JSON that is not an object: \(ParsingText.snippet(text))"))
        }
        if let envelope {
            switch envelope.code.lowercased() {
            case "not found": return .done(.unknownSymbol(envelope.description))
            case "unauthorized", "forbidden": return .done(.unauthorized(envelope.description))
            case "too many requests": return .done(.rateLimited)
            default: return .done(.unavailable("\(envelope.code): \(envelope.description)"))
            }
        }
        return .json(parsed)
    }

    /// Yahoo's edge answers a rate limit with the short plain text `Edge: Too Many Requests`, sometimes with a
    /// status other than 429 (getcrumb). Only a short body counts, so a quote that happens to contain the words
    /// does not.
    static func isTooManyRequestsText(_ text: String) -> Bool {
        text.utf8.count < 512 && text.localizedCaseInsensitiveContains("Too Many Requests")
    }

    /// `{"<root>":{"result":null,"error":{"code":…,"description":…}}}` with a non-null error.
    static func errorEnvelope(_ json: JSONValue) -> (code: String, description: String)? {
        guard case let .object(top) = json else { return nil }
        for (_, root) in top {
            guard let error = root["error"], error.isObject else { continue }
            let code = error["code"]?.string ?? "error"
            let description = error["description"]?.string ?? code
            return (code, description)
        }
        return nil
    }

    static func convertMinorCurrency(_ quote: inout YahooQuote) {
        guard let currency = quote.currency, let minor = minorCurrencies[currency] else { return }
        let d = minor.divisor
        quote.currency = minor.major
        quote.price /= d
        quote.open = quote.open.map { $0 / d }
        quote.dayHigh = quote.dayHigh.map { $0 / d }
        quote.dayLow = quote.dayLow.map { $0 / d }
        quote.previousClose = quote.previousClose.map { $0 / d }
        quote.bid = quote.bid.map { $0 / d }
        quote.ask = quote.ask.map { $0 / d }
        quote.bars = quote.bars.map { $0.divided(by: d) }
    }

    /// Unix seconds as Yahoo could mean them, within ±1e12 s (±31,000 years) of the epoch; nil for anything
    /// else. Converting a larger number trapped, and one just inside Int64 overflowed the stale arithmetic.
    static func unixSeconds(_ seconds: Double) -> Int64? {
        abs(seconds) <= 1e12 ? Int64(seconds) : nil
    }

    static func secondsToMillis(_ seconds: Double) -> Int64? {
        abs(seconds) <= 1e12 ? Int64((seconds * 1000).rounded()) : nil
    }

    /// `exchangeDataDelayedBy` when it is a delay at all, 0 to 1440 minutes; otherwise the exchange table decides.
    /// A negative delay made stale quotes look fresh, a huge one trapped.
    static func delayMinutes(fromField minutes: Double) -> Int? {
        (0...1440).contains(minutes) ? Int(minutes) : nil
    }
}

// MARK: - Helpers shared with AlphaVantageParsing

enum ParsingText {
    static func looksLikeHTML(contentType: String?, text: String) -> Bool {
        if let contentType, contentType.lowercased().contains("html") { return true }
        return text.hasPrefix("<")
    }

    /// The start of a body for a message: one line, at most 80 characters.
    static func snippet(_ text: String) -> String {
        let line = text.map { $0.isNewline || $0 == "\t" ? " " : $0 }
        let head = String(line.prefix(80))
        if head.isEmpty { return "(empty body)" }
        return line.count > 80 ? "\"\(head)…\"" : "\"\(head)\""
    }
}

extension Duration {
    fileprivate var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
