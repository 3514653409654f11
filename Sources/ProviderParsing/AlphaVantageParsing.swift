import Foundation
import TickhubCore

// Pure parsing of Alpha Vantage GLOBAL_QUOTE responses. Every
// outcome, limits and bad keys included, arrives as HTTP 200 with a JSON body; see docs/providers.md.

/// Why Alpha Vantage refused to answer, from its `Information` / `Note` text.
public enum AlphaVantageLimit: String, Sendable, Equatable, CaseIterable {
    /// The free daily cap ("25 requests per day"): nothing more until the next day.
    case daily
    /// Too fast: "more sparingly (1 request per second)", and the historical "5 calls per minute" note.
    case burst
    /// "This is a premium endpoint": the function needs a paid plan.
    case premium
    /// The `demo` key used off the documented example URLs.
    case demo
    /// An `Information`/`Note` text none of the above matches.
    case other
}

/// A GLOBAL_QUOTE, values as Alpha Vantage sent them (all strings on the wire).
public struct AlphaVantageQuote: Sendable, Equatable {
    public var symbol: String
    public var open: Double?
    public var high: Double?
    public var low: Double?
    public var price: Double
    public var volume: Double?
    /// `07. latest trading day`, `YYYY-MM-DD` (no time of day).
    public var latestTradingDay: String
    public var previousClose: Double?
    public var change: Double?
    /// In percent, the `%` removed: `"-0.5852%"` → -0.5852.
    public var changePercent: Double?
    /// The response used the `Global Quote - DATA DELAYED BY 15 MINUTES` key (the `entitlement=delayed` form).
    public var entitlementDelayed: Bool
    /// The trading day's close, 16:00 America/New_York, in milliseconds since the epoch.
    public var sessionClose: Int64

    public init(
        symbol: String, open: Double?, high: Double?, low: Double?, price: Double, volume: Double?,
        latestTradingDay: String, previousClose: Double?, change: Double?, changePercent: Double?,
        entitlementDelayed: Bool, sessionClose: Int64
    ) {
        self.symbol = symbol
        self.open = open
        self.high = high
        self.low = low
        self.price = price
        self.volume = volume
        self.latestTradingDay = latestTradingDay
        self.previousClose = previousClose
        self.change = change
        self.changePercent = changePercent
        self.entitlementDelayed = entitlementDelayed
        self.sessionClose = sessionClose
    }

    /// The Tickhub quote for `symbol` (the Tickhub symbol). Always delayed; stamped at the trading day's 16:00 New
    /// York close. Alpha Vantage gives only a date, so whether that day is the latest session is the caller's call.
    public func quote(for symbol: String, isLatestSession: Bool) -> Quote {
        var quote = Quote(
            symbol: symbol, source: .alphaVantage, timestamp: sessionClose, delayed: true, stale: !isLatestSession)
        quote.last = price
        quote.open = open
        quote.high = high
        quote.low = low
        quote.volume = volume
        quote.close = previousClose
        return quote
    }
}

/// What a GLOBAL_QUOTE response says.
public enum AlphaVantageOutcome: Sendable, Equatable {
    case quote(AlphaVantageQuote)
    /// `{"Global Quote": {}}`: Alpha Vantage does not know the symbol.
    case unknownSymbol
    /// An `Information` or `Note` notice; the message has any echoed API key replaced by `***`.
    case rateLimited(AlphaVantageLimit, message: String)
    /// `Error Message` saying the apikey is invalid or missing.
    case invalidKey
    /// Any other `Error Message` (e.g. "Invalid API call…"), key redacted.
    case error(String)
    /// Not an Alpha Vantage answer: HTML, truncated JSON, a non-200 status, an unexpected shape.
    case unavailable(String)
}

public enum AlphaVantageParsing {
    /// Parses a GLOBAL_QUOTE response, checking in order: `Error Message`, `Information`/`Note`, `Global Quote`.
    /// - Parameter apiKey: the key the request used, redacted from every message (texts that echo a key in the
    ///   known "detected your API key as …" form are redacted even without it).
    public static func parseGlobalQuote(
        status: Int = 200, contentType: String? = "application/json", body: Data, apiKey: String? = nil
    ) -> AlphaVantageOutcome {
        let members: [String: JSONValue]
        switch screen(status: status, contentType: contentType, body: body, apiKey: apiKey) {
        case let .failed(message): return .unavailable(message)
        case let .notice(notice):
            switch notice {
            case .invalidKey: return .invalidKey
            case let .error(message): return .error(message)
            case let .limited(kind, message): return .rateLimited(kind, message: message)
            }
        case let .object(parsed): members = parsed
        }

        guard let key = members.keys.sorted().first(where: { $0.hasPrefix("Global Quote") }) else {
            return .unavailable(
                "not a GLOBAL_QUOTE answer (keys: \(redact(members.keys.sorted().joined(separator: ", "), apiKey)))")
        }
        guard let fields = members[key]?.object else { return .unavailable("\"\(key)\" is not an object") }
        // "05. price" → "price": match on the name, not the number.
        var byName: [String: JSONValue] = [:]
        for (name, value) in fields { byName[fieldName(name)] = value }

        let symbol = byName["symbol"]?.string?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !symbol.isEmpty else { return .unknownSymbol }
        guard let price = byName["price"]?.number else {
            return .unavailable("GLOBAL_QUOTE for \(symbol) has no price")
        }
        guard let day = byName["latest trading day"]?.string, let close = sessionCloseMillis(day) else {
            return .unavailable("GLOBAL_QUOTE for \(symbol) has no valid latest trading day")
        }
        let percent = byName["change percent"]?.string.flatMap {
            Double($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: ""))
        }.flatMap { $0.isFinite ? $0 : nil }
        return .quote(
            AlphaVantageQuote(
                symbol: symbol, open: byName["open"]?.number, high: byName["high"]?.number,
                low: byName["low"]?.number, price: price, volume: byName["volume"]?.number,
                latestTradingDay: day, previousClose: byName["previous close"]?.number,
                change: byName["change"]?.number, changePercent: percent,
                entitlementDelayed: key.localizedCaseInsensitiveContains("delayed"), sessionClose: close))
    }

    // MARK: Notices

    enum Notice: Equatable {
        case invalidKey
        case error(String)
        case limited(AlphaVantageLimit, String)
    }

    enum Screened {
        case failed(String)
        case notice(Notice)
        case object([String: JSONValue])
    }

    static func screen(status: Int, contentType: String?, body: Data, apiKey: String?) -> Screened {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 200 else {
            return .failed(redact("Alpha Vantage HTTP \(status): \(ParsingText.snippet(text))", apiKey))
        }
        if ParsingText.looksLikeHTML(contentType: contentType, text: text) {
            return .failed(redact("an HTML page instead of JSON: \(ParsingText.snippet(text))", apiKey))
        }
        let json: JSONValue
        do {
            json = try JSONValue.decode(body)
        } catch {
            return .failed("malformed JSON (\(body.count) bytes, truncated?): \(JSONValue.describe(error))")
        }
        guard let members = json.object else {
            return .failed(redact("JSON that is not an object: \(ParsingText.snippet(text))", apiKey))
        }
        if let message = members["Error Message"]?.string {
            return .notice(classifyError(message, redacted: redact(message, apiKey)))
        }
        for key in ["Information", "Note"] {
            if let message = members[key]?.string {
                return .notice(.limited(limitKind(of: message), redact(message, apiKey)))
            }
        }
        return .object(members)
    }

    static func classifyError(_ message: String, redacted: String) -> Notice {
        let lower = message.lowercased()
        if lower.contains("apikey is invalid") || lower.contains("api key is invalid")
            || lower.contains("invalid api key") || lower.contains("apikey is missing")
        {
            return .invalidKey
        }
        return .error(redacted)
    }

    /// The kind of an `Information`/`Note` text. Order matters: the burst text also names the daily limit
    /// ("(25 requests per day)") and premium endpoints, so burst is recognised before daily and premium.
    public static func limitKind(of message: String) -> AlphaVantageLimit {
        let text = message.lowercased()
        if text.contains("demo") { return .demo }
        if text.contains("more sparingly") || text.contains("per second") { return .burst }
        if text.contains("premium endpoint") { return .premium }
        // The 2018–2023 note ("5 calls per minute and 500 calls per day") was the frequency limit.
        if text.contains("per minute") || text.contains("call frequency") || text.contains("higher api call volume") {
            return .burst
        }
        if text.contains("per day") || text.contains("25 requests") || text.contains("daily") { return .daily }
        return .other
    }

    /// Replaces `apiKey` wherever it appears, and the key in "…detected your API key as XXXX…" and `apikey=XXXX`,
    /// with `***`.
    public static func redact(_ text: String, _ apiKey: String?) -> String {
        var result = text
        if let apiKey, apiKey.count >= 2 { result = result.replacingOccurrences(of: apiKey, with: "***") }
        result = result.replacing(#/(?i)(api ?key as )[A-Za-z0-9_\-]{2,}/#) { match in
            "\(match.output.1)***"
        }
        result = result.replacing(#/(?i)(apikey=)[^&\s"]+/#) { match in "\(match.output.1)***" }
        return result
    }

    // MARK: Fields and times

    /// `"05. price"` → `"price"`, `"1. From_Currency Code"` → `"from_currency code"`.
    static func fieldName(_ key: String) -> String {
        let name = key.drop(while: { $0.isNumber })
        let rest = name.hasPrefix(". ") ? name.dropFirst(2) : name
        return rest.lowercased()
    }

    /// `YYYY-MM-DD` at 16:00 America/New_York, in milliseconds since the epoch.
    public static func sessionCloseMillis(_ day: String) -> Int64? {
        guard let (year, month, date) = parseDate(day),
              let close = MarketHours.regularClose(year: Int(year), month: Int(month), day: Int(date))
        else { return nil }
        return Int64((close.timeIntervalSince1970 * 1000).rounded())
    }

    static func parseDate(_ text: String) -> (Int64, Int64, Int64)? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              // New York kept local mean time (UTC−4:56:02) until 1883: a day before that has no 16:00 close on the
              // hour, and no quote a provider sends today is from it.
              year >= 1900
        else { return nil }
        return (year, month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
