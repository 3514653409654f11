import Foundation

/// When an instrument's market is open, to tell a silent feed from a closed market.
///
/// Regular sessions only, without holidays: US stocks and options 09:30–16:00 New York time on weekdays;
/// FX from Sunday 17:00 to Friday 17:00 New York time; crypto always.
public enum MarketHours {
    nonisolated(unsafe) private static let newYork: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600)!
        return calendar
    }()

    public static func isOpen(_ instrument: Instrument, at date: Date) -> Bool {
        let parts = newYork.dateComponents([.weekday, .hour, .minute], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return true }
        let minutes = hour * 60 + minute
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
}
