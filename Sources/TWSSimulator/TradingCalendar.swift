import Foundation
import TickhubCore

/// The simulated market's calendar: which trading day an instant belongs to, how long a day's session is, and a
/// time inside a session for a demo started while the US market is shut. Whether a market is open at all is
/// `MarketHours`' rule, not this file's.
public enum TradingCalendar {
    static let newYork: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600)!
        return calendar
    }()

    /// One trading day: a key that differs from the neighbours', and the instants it spans.
    struct Day: Equatable {
        var key: Int
        var start: Double
        var end: Double

        func contains(_ time: Double) -> Bool { time >= start && time < end }
    }

    /// FX's trading day starts at 17:00 New York (the end of its session), every other kind's at midnight there.
    static func day(of type: SecurityType, at time: Double) -> Day {
        let shift: Double = type == .forex ? 7 * 3600 : 0
        let start = newYork.startOfDay(for: Date(timeIntervalSince1970: time + shift))
        let parts = newYork.dateComponents([.year, .month, .day], from: start)
        let end = newYork.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        return Day(
            key: (parts.year ?? 0) * 10_000 + (parts.month ?? 0) * 100 + (parts.day ?? 0),
            start: start.timeIntervalSince1970 - shift, end: end.timeIntervalSince1970 - shift)
    }

    /// Seconds of trading in a day: the regular US session for stocks and options, around the clock otherwise.
    /// A daily volatility is spread over these.
    static func sessionSeconds(_ type: SecurityType) -> Double {
        switch type {
        case .stock, .option, .future, .index: 6.5 * 3600
        case .forex, .crypto: 24 * 3600
        }
    }

    /// How far through its session a market is at `time`, 0 at the open to 1 at the close (1 when shut: the
    /// figures shown are the last session's).
    static func sessionFraction(_ instrument: Instrument, at time: Double) -> Double {
        guard MarketHours.isOpen(instrument, at: Date(timeIntervalSince1970: time)) else { return 1 }
        let day = day(of: instrument.securityType, at: time)
        switch instrument.securityType {
        case .stock, .option, .future, .index:
            return min(1, max(0, (time - day.start - 9.5 * 3600) / sessionSeconds(instrument.securityType)))
        case .forex, .crypto:
            return min(1, max(0, (time - day.start) / (day.end - day.start)))
        }
    }

    /// The instant an option stops trading: 16:00 New York on its expiry (`YYYYMMDD`); nil for a malformed date.
    static func expiry(of terms: OptionTerms) -> Double? {
        let digits = terms.expiry
        guard digits.count == 8, let value = Int(digits) else { return nil }
        return MarketHours.regularClose(year: value / 10_000, month: value / 100 % 100, day: value % 100)?
            .timeIntervalSince1970
    }

    /// For a demo: nil when US stocks trade at `now`; otherwise the most recent weekday at 10:00 New York before
    /// `now`, with six hours of session ahead of it.
    public static func demoStart(now: Date) -> Date? {
        guard !MarketHours.isOpen(.stock("SPY"), at: now) else { return nil }
        var day = newYork.startOfDay(for: now)
        for _ in 0..<8 {
            if let candidate = newYork.date(bySettingHour: 10, minute: 0, second: 0, of: day), candidate < now,
               MarketHours.isOpen(.stock("SPY"), at: candidate)
            {
                return candidate
            }
            guard let previous = newYork.date(byAdding: .day, value: -1, to: day) else { break }
            day = previous
        }
        return nil
    }

    /// `2026-12-04 10:00 New York`, for log lines.
    public static func newYorkDescription(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = newYork.timeZone
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm"
        return formatter.string(from: date) + " New York"
    }

    /// Reads an ISO 8601 time with an offset or `Z`, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The time as ISO 8601 in UTC, as `/status` and the listening line print it.
    public static func format(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
