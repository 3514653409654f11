import Foundation
import TWSProtocol
import TickhubCore

/// A chart's bar request in TWS's terms (bar size, duration back from an end, what to show), and TWS's bars read
/// back into the hub's `Bar`.
public struct HistoricalBarQuery: Sendable, Equatable {
    public var barSize: String
    public var duration: String
    /// Empty for "now"; else UTC as `yyyyMMdd-HH:mm:ss`, which needs no zone name.
    public var endDateTime: String
    public var whatToShow: String
    public var useRTH: Bool
    /// 2: intraday bar times as Unix seconds, nothing to parse in a zone (daily bars still come as `yyyyMMdd`).
    public var formatDate = 2
    public var keepUpToDate: Bool

    /// The query covering `[from, to)` of `request` as of `now` (ms since the epoch); nil when nothing of the
    /// span has happened yet. An end at or after now asks for bars up to now.
    public init?(_ request: BarRequest, now: Int64) {
        // An end a moment before now is the caller's own "now", read a little earlier: asking for "now" keeps the
        // terms the same for every chart of the same length opened meanwhile, so identical requests are shared.
        let endsNow = request.to >= now - Self.nowTolerance
        let end = min(request.to, now)
        guard end > request.from else { return nil }
        // Back from the end to `from` itself: the bar holding `from` starts before it, and is not asked for. Ending
        // at TWS's now, a moment later than `end`, the span still reaches into the bar starting at `from`, which
        // TWS then sends whole.
        self.init(instrument: request.instrument, interval: request.interval, seconds: (end - request.from + 999) / 1000,
                  endDateTime: endsNow ? "" : Self.utcText(millis: end), keepUpToDate: false)
    }

    /// The query of a followed series: bars from `since` (the last one already delivered, or two bars back) up
    /// to now, then TWS's updates of the forming bar.
    public init(following instrument: Instrument, interval: BarInterval, since: Int64?, now: Int64) {
        let start = interval.start(of: min(since ?? now, now - interval.milliseconds))
        self.init(instrument: instrument, interval: interval, seconds: (now - start + 999) / 1000,
                  endDateTime: "", keepUpToDate: true)
    }

    private init(instrument: Instrument, interval: BarInterval, seconds: Int64, endDateTime: String, keepUpToDate: Bool) {
        barSize = Self.barSize(interval)
        duration = Self.duration(seconds: seconds, interval: interval)
        self.endDateTime = endDateTime
        whatToShow = Self.whatToShow(instrument.securityType)
        // A stock's chart is its regular session: the daily bar opens and closes at the official open and close
        // that the quote's change is measured from, and thin pre- and after-market prints do not stretch the
        // intraday candles. FX and crypto trade around the clock; "regular hours" would only cut their day short.
        useRTH = switch instrument.securityType {
        case .stock, .option, .future, .index: true
        case .forex, .crypto: false
        }
        self.keepUpToDate = keepUpToDate
    }

    /// How far before now an end still counts as now, in ms.
    static let nowTolerance: Int64 = 5_000

    /// Every term but the contract: two requests for one series with the same terms are identical to IBKR.
    public var terms: String {
        "\(endDateTime)|\(barSize)|\(duration)|\(useRTH)|\(formatDate)|\(keepUpToDate)"
    }

    public func message(requestID: Int, contract: Contract) -> RequestHistoricalData {
        RequestHistoricalData(
            requestID: requestID, contract: contract, endDateTime: endDateTime, duration: duration, barSize: barSize,
            whatToShow: whatToShow, useRTH: useRTH, formatDate: formatDate, keepUpToDate: keepUpToDate)
    }

    public static func barSize(_ interval: BarInterval) -> String {
        switch interval {
        case .oneMinute: "1 min"
        case .fiveMinutes: "5 mins"
        case .fifteenMinutes: "15 mins"
        case .thirtyMinutes: "30 mins"
        case .oneHour: "1 hour"
        case .oneDay: "1 day"
        }
    }

    /// Trades where there are any; FX has no trades at IBKR, only quotes, so its candles are midpoints.
    public static func whatToShow(_ type: SecurityType) -> String {
        type == .forex ? "MIDPOINT" : "TRADES"
    }

    /// A duration covering `seconds` back from the end. `S` is exact but IBKR takes it only up to a day; beyond,
    /// `D` counts trading days, and one more than the calendar days makes sure a span that starts mid-session
    /// is covered. Daily bars go by weeks, then years, which IBKR takes for longer spans.
    public static func duration(seconds: Int64, interval: BarInterval) -> String {
        let day: Int64 = 86_400
        let seconds = max(seconds, interval.seconds)
        if interval != .oneDay {
            return seconds <= day ? "\(seconds) S" : "\((seconds + day - 1) / day + 1) D"
        }
        let days = (seconds + day - 1) / day
        if days <= 30 { return "\(days + 1) D" }
        if days <= 364 { return "\((days + 6) / 7 + 1) W" }
        return "\((days + 364) / 365) Y"
    }

    // MARK: Bars back

    /// TWS's bars as the hub's, oldest first: inconsistent ones dropped (the hub never shows a candle it cannot
    /// stand behind), and bars that land on one start merged.
    public static func bars(_ raw: [HistoricalBar], interval: BarInterval, whatToShow: String) -> [Bar] {
        var out: [Bar] = []
        for item in raw {
            guard let bar = bar(item, interval: interval, whatToShow: whatToShow) else { continue }
            if let last = out.last, last.time == bar.time {
                out[out.count - 1] = merged(last, bar)
            } else if let last = out.last, last.time > bar.time {
                continue
            } else {
                out.append(bar)
            }
        }
        return out
    }

    /// One TWS bar as the hub's; nil when its time cannot be read or its prices are not a candle.
    public static func bar(_ item: HistoricalBar, interval: BarInterval, whatToShow: String) -> Bar? {
        guard let time = barTime(item.time, interval: interval) else { return nil }
        // -1 is TWS's "no volume" (MIDPOINT, BID, ASK have none).
        let volume = whatToShow == "TRADES" ? item.volume.flatMap { $0 >= 0 ? $0 : nil } : nil
        let bar = Bar(time: time, open: item.open, high: item.high, low: item.low, close: item.close, volume: volume)
        return bar.isConsistent ? bar : nil
    }

    /// The start of a bar in ms. Intraday bars are labelled by the start of their interval in UTC, the hub's
    /// convention (`BarInterval.start`): IBKR labels a stock's first hourly bar 09:30, the hub 09:00, so that the
    /// candle the hub builds from trades and IBKR's own bar for the same hour are one candle, not two. A daily bar
    /// is 00:00 UTC of its trading date.
    public static func barTime(_ text: String, interval: BarInterval) -> Int64? {
        let text = text.trimmingCharacters(in: .whitespaces)
        let digits = text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber)
        if digits, text.count == 8 {
            guard let midnight = utcMidnight(yyyyMMdd: text) else { return nil }
            return interval == .oneDay ? midnight : interval.start(of: midnight)
        }
        let seconds: Int64?
        if digits, let value = Int64(text) {
            seconds = value
        } else {
            seconds = zonedSeconds(text)
        }
        guard let seconds else { return nil }
        if interval == .oneDay {
            // A daily bar stamped with a moment (its midnight in the exchange's zone): its date is the UTC date
            // twelve hours on, which is the same date for every zone from UTC-12 to UTC+12.
            let day = (seconds + 43_200).floorDivided(by: 86_400)
            return day * 86_400_000
        }
        return interval.start(of: seconds * 1000)
    }

    private static func merged(_ a: Bar, _ b: Bar) -> Bar {
        let volume: Double? = switch (a.volume, b.volume) {
        case let (x?, y?): x + y
        case let (x, y): x ?? y
        }
        return Bar(time: a.time, open: a.open, high: max(a.high, b.high), low: min(a.low, b.low), close: b.close,
                   volume: volume)
    }

    // MARK: Dates without a formatter

    /// `yyyyMMdd-HH:mm:ss` in UTC.
    static func utcText(millis: Int64) -> String {
        let seconds = millis.floorDivided(by: 1000)
        let days = seconds.floorDivided(by: 86_400)
        let clock = seconds - days * 86_400
        let (y, m, d) = civil(days: days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)\(two(m))\(two(d))-\(two(clock / 3600)):\(two(clock / 60 % 60)):\(two(clock % 60))"
    }

    /// 00:00 UTC of a `yyyyMMdd` date, in ms.
    static func utcMidnight(yyyyMMdd text: String) -> Int64? {
        guard let value = Int64(text) else { return nil }
        let (y, m, d) = (value / 10_000, value / 100 % 100, value % 100)
        guard (1...12).contains(m), (1...31).contains(d), y >= 1900 else { return nil }
        return days(year: y, month: m, day: d) * 86_400_000
    }

    /// `yyyyMMdd HH:mm:ss` with an optional zone name after it (TWS's formatDate 1), as Unix seconds.
    private static func zonedSeconds(_ text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd HH:mm:ss"
        let zone = parts.count >= 3 ? TimeZone(identifier: String(parts[2])) : nil
        formatter.timeZone = zone ?? TimeZone(identifier: "UTC")
        guard let date = formatter.date(from: "\(parts[0]) \(parts[1])") else { return nil }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
