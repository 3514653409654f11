import Foundation
import Synchronization

/// When an instrument's market is open, to tell a silent feed from a closed market.
///
/// Regular sessions only, without holidays: US stocks and options 09:30–16:00 New York time on weekdays;
/// FX from Sunday 17:00 to Friday 17:00 New York time; crypto always.
public enum MarketHours {
    private static let newYork: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600)!
        return calendar
    }()

    /// New York's weekday and minute of the day change once a minute, while the manager asks for every symbol
    /// several times a second: the calendar arithmetic is done once per minute.
    private static let cache = Mutex((minute: Int64.min, weekday: 0, minutes: 0))

    public static func isOpen(_ instrument: Instrument, at date: Date) -> Bool {
        let minute = Int64((date.timeIntervalSince1970 / 60).rounded(.down))
        let cached: (Int, Int)? = cache.withLock { $0.minute == minute ? ($0.weekday, $0.minutes) : nil }
        let weekday: Int, minutes: Int
        if let cached {
            (weekday, minutes) = cached
        } else {
            let parts = newYork.dateComponents([.weekday, .hour, .minute], from: date)
            guard let day = parts.weekday, let hour = parts.hour, let minuteOfHour = parts.minute else { return true }
            (weekday, minutes) = (day, hour * 60 + minuteOfHour)
            cache.withLock { $0 = (minute, weekday, minutes) }
        }
        switch instrument.securityType {
        case .crypto:
            return true
        case .forex:
            // weekday: 1 Sunday … 7 Saturday
            switch weekday {
            case 7: return false
            case 1: return minutes >= 17 * 60
            case 6: return minutes < 17 * 60
            default: return true
            }
        case .stock, .option, .future, .index:
            return (2...6).contains(weekday) && minutes >= 9 * 60 + 30 && minutes < 16 * 60
        }
    }

    /// 16:00 New York time on a date, the end of the regular US session: daylight time or not as the zone
    /// database says for that day. Nil for a date the calendar does not have.
    public static func regularClose(year: Int, month: Int, day: Int) -> Date? {
        newYork.date(from: DateComponents(year: year, month: month, day: day, hour: 16))
    }
}
