/// The width of one candle, as the API and the stream spell it (`1m`, `5m`, `15m`, `30m`, `1h`, `1d`): the bar sizes a
/// chart offers, each one IBKR's historical data serves and one Yahoo's chart serves or can be folded into.
public enum BarInterval: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case thirtyMinutes = "30m"
    case oneHour = "1h"
    case oneDay = "1d"

    public var seconds: Int64 {
        switch self {
        case .oneMinute: 60
        case .fiveMinutes: 300
        case .fifteenMinutes: 900
        case .thirtyMinutes: 1_800
        case .oneHour: 3_600
        case .oneDay: 86_400
        }
    }

    public var milliseconds: Int64 { seconds * 1_000 }

    /// The start of the bar holding `time` (ms since the epoch). Intraday bars start on whole multiples of their
    /// width in UTC, which are also whole minutes and hours in every exchange's zone the hub knows; a day's bar
    /// starts at 00:00 UTC of its trading date, the convention IBKR's and Yahoo's daily bars are read into.
    public func start(of time: Int64) -> Int64 {
        let width = milliseconds
        let floored = time >= 0 ? time / width : (time - width + 1) / width
        return floored * width
    }

    /// The one the request names, or nil: the list of those there are goes into the error.
    public init?(wire: String) { self.init(rawValue: wire) }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public static func < (a: BarInterval, b: BarInterval) -> Bool { a.seconds < b.seconds }
}
