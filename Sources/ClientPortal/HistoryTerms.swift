import Foundation
import TickhubCore

/// One `/iserver/marketdata/history` request in the gateway's words: a `period` back from `startTime` (IBKR's
/// default direction, -1: the bars end at `startTime`, or now when it is left out), divided into bars of `bar`.
///
/// IBKR's vocabulary: periods `{1-30}min`, `{1-8}h`, `{1-1000}d`, `{1-792}w`, `{1-182}m`, `{1-15}y`; bars `1min`,
/// `2min`, `3min`, `5min`, `10min`, `15min`, `30min`, `1h`, `2h`, `3h`, `4h`, `8h`, `1d`, `1w`, `1m`; at most 1,000
/// bars an answer, and each bar size allowed only with some periods (1-minute bars up to a period of a day,
/// 10-minute ones and wider from a week, hourly and wider from a month).
public struct HistoryTerms: Equatable, Sendable {
    public var period: String
    public var bar: String
    public var outsideRth: Bool
    /// The end of the span as `yyyyMMdd-HH:mm:ss` UTC; nil for now.
    public var startTime: String?

    public init(period: String, bar: String, outsideRth: Bool, startTime: String? = nil) {
        self.period = period
        self.bar = bar
        self.outsideRth = outsideRth
        self.startTime = startTime
    }

    /// The most bars IBKR sends in one answer.
    public static let maximumBars = 1_000
    /// The most requests one span is split into: a week of minutes is 21.
    public static let maximumRequests = 24
    /// How far before now an end still counts as now, in ms (the caller's now, read a moment earlier).
    static let nowTolerance: Int64 = 5_000

    /// The requests covering `[from, to)` of `request` as of `now` (ms since the epoch), newest first: each within
    /// IBKR's 1,000 bars and the periods its bar size is allowed with. Empty when nothing of the span has happened.
    public static func plan(_ request: BarRequest, now: Int64) -> [HistoryTerms] {
        let endsNow = request.to >= now - nowTolerance
        let end = min(request.to, now)
        // From the start of the bar holding `from`: it is the first one asked for.
        let from = request.interval.start(of: request.from)
        guard end > from else { return [] }
        let width = chunk(request.interval)
        let outsideRth = Self.outsideRth(request.instrument.securityType)
        var terms: [HistoryTerms] = []
        var chunkEnd = end
        while chunkEnd > from, terms.count < maximumRequests {
            let chunkStart = max(from, chunkEnd - width)
            terms.append(HistoryTerms(
                period: period(seconds: (chunkEnd - chunkStart + 999) / 1000), bar: bar(request.interval),
                outsideRth: outsideRth, startTime: endsNow && chunkEnd == end ? nil : utcText(millis: chunkEnd)))
            chunkEnd = chunkStart
        }
        return terms
    }

    /// The widest span one request covers at `interval`: under 1,000 bars, and a period the bar size is allowed
    /// with (1-minute bars: 8 hours, 480 bars even where the market never shuts; 5-minute: a day; 15- and
    /// 30-minute: a week; hourly: 30 days; daily: 1,000 days).
    static func chunk(_ interval: BarInterval) -> Int64 {
        let hour: Int64 = 3_600_000
        return switch interval {
        case .oneMinute: 8 * hour
        case .fiveMinutes: 24 * hour
        case .fifteenMinutes, .thirtyMinutes: 7 * 24 * hour
        case .oneHour: 30 * 24 * hour
        case .oneDay: 1_000 * 24 * hour
        }
    }

    /// The period holding an interval's newest two bars as of now: the forming one and the one before (a week of
    /// days, for the weekend and holidays between two sessions).
    public static func newestPeriod(_ interval: BarInterval) -> String {
        switch interval {
        case .oneMinute: "2min"
        case .fiveMinutes: "10min"
        case .fifteenMinutes: "30min"
        case .thirtyMinutes: "1h"
        case .oneHour: "2h"
        case .oneDay: "7d"
        }
    }

    public static func bar(_ interval: BarInterval) -> String {
        switch interval {
        case .oneMinute: "1min"
        case .fiveMinutes: "5min"
        case .fifteenMinutes: "15min"
        case .thirtyMinutes: "30min"
        case .oneHour: "1h"
        case .oneDay: "1d"
        }
    }

    /// A period covering `seconds`, in the smallest unit that can say it: minutes up to 30, hours up to 8, then
    /// days (IBKR does not say whether its days are calendar or trading days; asking calendar days covers the span
    /// either way), then weeks, then years.
    public static func period(seconds: Int64) -> String {
        let seconds = max(seconds, 60)
        func up(_ unit: Int64) -> Int64 { (seconds + unit - 1) / unit }
        if seconds <= 30 * 60 { return "\(up(60))min" }
        if seconds <= 8 * 3_600 { return "\(up(3_600))h" }
        if up(86_400) <= 1_000 { return "\(up(86_400))d" }
        if up(7 * 86_400) <= 792 { return "\(up(7 * 86_400))w" }
        return "\(min(15, up(365 * 86_400)))y"
    }

    /// A stock's chart is its regular session, as over TWS; FX and crypto trade around the clock.
    public static func outsideRth(_ type: SecurityType) -> Bool {
        switch type {
        case .stock, .option, .future, .index: false
        case .forex, .crypto: true
        }
    }

    /// The request's path and query under `/v1/api`.
    public func path(conid: Int) -> String {
        var text = GatewayPath.marketDataHistory + "?conid=\(conid)&period=\(period)&bar=\(bar)&outsideRth=\(outsideRth)"
        if let startTime { text += "&startTime=" + GatewayPath.encoded(startTime) }
        return text
    }

    /// A period's length in seconds (`"7h"` is 25,200), or nil when it is not one of IBKR's; for the simulator.
    public static func seconds(period text: String) -> Int64? {
        let units: [(String, Int64, Int64)] = [
            ("min", 60, 30), ("h", 3_600, 8), ("d", 86_400, 1_000), ("w", 7 * 86_400, 792), ("m", 30 * 86_400, 182),
            ("y", 365 * 86_400, 15),
        ]
        for (unit, length, most) in units where text.hasSuffix(unit) {
            guard let count = Int64(text.dropLast(unit.count)), count >= 1, count <= most else { return nil }
            return count * length
        }
        return nil
    }

    /// A bar size's width in seconds (`"5min"` is 300), or nil when it is not one of IBKR's; for the simulator.
    public static func seconds(bar text: String) -> Int? {
        let widths: [String: Int] = [
            "1min": 60, "2min": 120, "3min": 180, "5min": 300, "10min": 600, "15min": 900, "30min": 1_800,
            "1h": 3_600, "2h": 7_200, "3h": 10_800, "4h": 14_400, "8h": 28_800, "1d": 86_400, "1w": 604_800,
            "1m": 2_592_000,
        ]
        return widths[text]
    }

    /// `yyyyMMdd-HH:mm:ss` in UTC.
    static func utcText(millis: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis.dividedRoundingDown(by: 1000))))
    }
}

extension Int64 {
    fileprivate func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return self % divisor != 0 && self < 0 ? q - 1 : q
    }
}

extension GatewayPath {
    public static let marketDataHistory = "/iserver/marketdata/history"
}
