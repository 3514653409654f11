import Foundation
import HubProtocol
import TickhubCore

/// The span of bars a request asks for: `range=1d` (counted back from now) or `from`/`to` (ms since the epoch),
/// checked against what one request may cover at its interval.
struct BarSpan: Equatable {
    var from: Int64
    var to: Int64

    static let day: Int64 = 86_400_000

    /// The longest span one request may cover at each interval: what the providers' own limits allow in one go
    /// (Yahoo keeps 1-minute bars for a week, intraday ones for 60 days), and at most a few thousand bars each.
    static func longest(_ interval: BarInterval) -> Int64 {
        switch interval {
        case .oneMinute: 7 * day
        case .fiveMinutes: 30 * day
        case .fifteenMinutes, .thirtyMinutes: 60 * day
        case .oneHour: 365 * day
        case .oneDay: 20 * 365 * day
        }
    }

    /// What a chart opened at the interval shows first: a day of minutes, a week of 5-minute bars, and so on.
    static func opening(_ interval: BarInterval) -> String {
        switch interval {
        case .oneMinute: "1d"
        case .fiveMinutes: "5d"
        case .fifteenMinutes: "10d"
        case .thirtyMinutes: "1mo"
        case .oneHour: "3mo"
        case .oneDay: "1y"
        }
    }

    /// `1d`, `5d`, `2w`, `1mo`, `6mo`, `1y`: a count and a unit.
    static func duration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("mo", 30 * day), ("d", day), ("w", 7 * day), ("y", 365 * day)]
        for (unit, length) in units where text.hasSuffix(unit) {
            guard let count = Int64(text.dropLast(unit.count)), count > 0, count <= 100 else { return nil }
            return count * length
        }
        return nil
    }

    /// A span ending now; for an instrument whose session is shut, the same length ending when it last traded, so
    /// that a day of minutes on a Sunday is Friday's.
    static func recent(_ length: Int64, for instrument: Instrument, now: Int64) -> BarSpan {
        BarSpan(from: lastTraded(instrument, before: now) - length, to: now)
    }

    /// The last moment before `now` at which the instrument's regular session was open (now, if it is), looked for
    /// a few minutes at a time over at most ten days.
    static func lastTraded(_ instrument: Instrument, before now: Int64) -> Int64 {
        let step: Int64 = 5 * 60_000
        var moment = now
        for _ in 0..<(10 * 288) {
            if MarketHours.isOpen(instrument, at: Date(milliseconds: moment)) { return moment }
            moment -= step
        }
        return now
    }

    /// Whether the instrument's regular session was open at some moment in `[from, to)`, looked at every five
    /// minutes: bars kept from a later start than asked still cover the span when the market was shut before them.
    static func traded(_ instrument: Instrument, from: Int64, to: Int64) -> Bool {
        var moment = from
        while moment < to {
            if MarketHours.isOpen(instrument, at: Date(milliseconds: moment)) { return true }
            moment += 5 * 60_000
        }
        return false
    }

    enum Refusal: Error, Equatable {
        case badRange(String)
        case tooLong(String)
    }

    /// The span a request's query names at `interval`, or why it names none the hub will fetch.
    static func parse(_ query: [String: String], interval: BarInterval, instrument: Instrument, now: Int64) throws(Refusal) -> BarSpan {
        let span: BarSpan
        if let from = query["from"] {
            guard let start = Int64(from), start >= 0 else { throw .badRange("from must be milliseconds since the epoch, such as 1764687600000") }
            var end = now
            if let to = query["to"] {
                guard let value = Int64(to), value > start else { throw .badRange("to must be milliseconds since the epoch, after from") }
                end = value
            }
            span = BarSpan(from: start, to: end)
        } else {
            if query["to"] != nil { throw .badRange("to needs from; or give range=1d") }
            let name = query["range"] ?? opening(interval)
            guard let length = duration(name) else {
                throw .badRange("range \"\(quoted(name, limit: 24))\" is not a span such as 1d, 5d, 2w, 1mo, 1y")
            }
            span = recent(length, for: instrument, now: now)
        }
        let longest = longest(interval)
        guard span.to - span.from <= longest else {
            throw .tooLong("\(interval.rawValue) bars cover at most \(longest / day) days in one request; ask for a shorter range or a wider interval")
        }
        return span
    }
}

extension Date {
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}
