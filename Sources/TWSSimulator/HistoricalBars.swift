import Foundation
import TWSProtocol
import TickhubCore

/// A reqHistoricalData's terms, checked: bar length, how far back, and what prices.
struct HistoryQuery: Equatable {
    enum Span: Equatable {
        /// `N S`: seconds back from the end.
        case seconds(Int)
        /// `N D`: trading days, the last one the end's.
        case tradingDays(Int)
        /// `N W`, `N M`, `N Y`: calendar days back from the end.
        case calendarDays(Int)
    }

    var barSeconds: Int
    var span: Span

    /// The bar sizes TWS accepts that this simulator makes; nil for any other text.
    static func barSeconds(_ text: String) -> Int? {
        switch text.trimmingCharacters(in: .whitespaces) {
        case "1 min": 60
        case "2 mins": 120
        case "3 mins": 180
        case "5 mins": 300
        case "10 mins": 600
        case "15 mins": 900
        case "30 mins": 1_800
        case "1 hour": 3_600
        case "1 day": 86_400
        default: nil
        }
    }

    static func span(_ text: String) -> Span? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), n > 0 else { return nil }
        switch parts[1] {
        case "S": return .seconds(n)
        case "D": return .tradingDays(n)
        case "W": return .calendarDays(7 * n)
        case "M": return .calendarDays(31 * n)
        case "Y": return .calendarDays(366 * n)
        default: return nil
        }
    }

    /// The request's end: empty for now, else `yyyyMMdd HH:mm:ss` in New York (a zone after it is read as New
    /// York's too, unless it says UTC), or `yyyyMMdd-HH:mm:ss` in UTC.
    static func end(_ text: String, now: Double) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return now }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let utc = trimmed.contains("-") || trimmed.hasSuffix("UTC") || trimmed.hasSuffix("GMT")
        formatter.timeZone = utc ? TimeZone(identifier: "UTC") : TradingCalendar.newYork.timeZone
        formatter.dateFormat = "yyyyMMdd HH:mm:ss"
        let stamp = String(trimmed.replacingOccurrences(of: "-", with: " ").prefix(17))
        return formatter.date(from: stamp)?.timeIntervalSince1970
    }
}

/// Historical bars for one instrument, made to agree with its walk: the trading day the walk is in ends at the
/// walk's price and stays inside its day's range, the minutes the walk has run are its own, and every earlier
/// minute and day comes from a seed per symbol and day, so the same request gives the same bars.
struct HistoryMaker {
    let instrument: Instrument
    let minTick: Double
    let lot: Double
    let hasTrades: Bool
    let dailyVolume: Double
    let dailyVolatility: Double
    let seed: UInt64

    /// The walk's day: its open, range, current price and the previous day's close.
    struct Today {
        var open: Double
        var high: Double
        var low: Double
        var price: Double
        var previousClose: Double
        /// The minutes the walk has run, oldest first.
        var recorded: [MinuteBars.Bar]
    }

    /// One trading day's session, Unix seconds.
    struct Session {
        var key: Int
        var start: Int
        var end: Int
    }

    /// The session of the trading day at `time` (regular hours for stocks and options, the whole day for FX and
    /// crypto); nil when that day does not trade.
    func session(at time: Double) -> Session? {
        let day = TradingCalendar.day(of: instrument.securityType, at: time)
        guard MarketHours.isOpen(instrument, at: Date(timeIntervalSince1970: day.start + 12 * 3_600)) else { return nil }
        switch instrument.securityType {
        case .stock, .option, .future, .index:
            return Session(key: day.key, start: Int(day.start) + 34_200, end: Int(day.start) + 57_600)
        case .forex, .crypto:
            return Session(key: day.key, start: Int(day.start), end: Int(day.end))
        }
    }

    /// Trading sessions that started before `end`, newest first, at most `limit`, none older than `since`.
    func sessions(before end: Double, limit: Int, since: Double) -> [Session] {
        var found: [Session] = []
        var probe = end
        // A bounded look back: a year of calendar days covers any span this simulator accepts.
        for _ in 0..<400 where found.count < limit {
            let day = TradingCalendar.day(of: instrument.securityType, at: probe)
            if let session = session(at: probe), Double(session.start) < end, Double(session.end) > since {
                found.append(session)
            }
            probe = day.start - 1
            if probe < since - 86_400 { break }
        }
        return found
    }

    /// Minute bars of `sessions` (newest first, the first being the walk's day when `today` is set), oldest
    /// first, up to `now`.
    func minutes(of sessions: [Session], today: Today, walkDay: Int?, now: Double) -> [[MinuteBars.Bar]] {
        var days: [[MinuteBars.Bar]] = []
        // The day before the walk's closes at the walk's previous close (the quote's close); each older day's
        // close is the next day's open moved by an overnight gap.
        var close = today.previousClose
        for session in sessions {
            if session.key == walkDay {
                days.append(walkDayMinutes(session, today: today, now: now))
                continue
            }
            var g = SeededGenerator(seed: seed ^ stableHash("\(instrument.symbol)|\(session.key)"))
            let open = round(close * exp(-dailyVolatility * g.normal()))
            let count = (session.end - session.start) / 60
            days.append(bridge(from: open, to: close, start: session.start, count: count, generator: &g, range: nil))
            close = round(open * exp(dailyVolatility * 0.2 * g.normal()))
        }
        return days.reversed()
    }

    /// The walk's day: made-up minutes from the open to the first the walk recorded, then the walk's own, then
    /// flat minutes at its price up to now if it stood still.
    private func walkDayMinutes(_ session: Session, today: Today, now: Double) -> [MinuteBars.Bar] {
        let endMinute = min(session.end, (Int(now) / 60 + 1) * 60)
        let recorded = today.recorded.filter { $0.minute >= session.start && $0.minute < endMinute }
        let firstRecorded = recorded.first?.minute ?? endMinute
        var g = SeededGenerator(seed: seed ^ stableHash("\(instrument.symbol)|\(session.key)"))
        let count = max(0, (firstRecorded - session.start) / 60)
        let target = recorded.first?.open ?? today.price
        var bars = bridge(
            from: today.open, to: target, start: session.start, count: count, generator: &g,
            range: today.low...today.high)
        if recorded.isEmpty, var last = bars.popLast() {
            // The forming minute ends at the walk's price exactly.
            last.close = today.price
            last.high = max(last.high, today.price)
            last.low = min(last.low, today.price)
            bars.append(last)
        }
        for bar in recorded {
            var minute = (bars.last?.minute).map { $0 + 60 } ?? bar.minute
            while minute < bar.minute {
                bars.append(flat(at: minute, price: bars.last?.close ?? bar.open))
                minute += 60
            }
            bars.append(bar)
        }
        var minute = (bars.last?.minute ?? session.start - 60) + 60
        while minute < endMinute {
            bars.append(flat(at: minute, price: today.price))
            minute += 60
        }
        return bars
    }

    private func flat(at minute: Int, price: Double) -> MinuteBars.Bar {
        MinuteBars.Bar(minute: minute, open: price, high: price, low: price, close: price, volume: 0)
    }

    /// `count` minutes from `open` to `close` along a Brownian bridge; kept inside `range` when given.
    private func bridge(
        from open: Double, to close: Double, start: Int, count: Int, generator g: inout SeededGenerator,
        range: ClosedRange<Double>?
    ) -> [MinuteBars.Bar] {
        guard count > 0 else { return [] }
        let session = TradingCalendar.sessionSeconds(instrument.securityType)
        let sd = dailyVolatility * (60 / session).squareRoot()
        var walk = [0.0]
        for _ in 0..<count { walk.append(walk.last! + sd * g.normal()) }
        let drift = walk[count] - log(close / open)
        let path = (0...count).map { i in open * exp(walk[i] - Double(i) / Double(count) * drift) }
        let perMinute = dailyVolume / (session / 60)
        return (0..<count).map { i in
            let o = clamp(round(i == 0 ? open : path[i]), range)
            let c = clamp(round(i == count - 1 ? close : path[i + 1]), range)
            let wick = abs(sd * 0.5 * g.normal())
            let h = clamp(round(max(o, c) * exp(wick)), range)
            let l = clamp(round(min(o, c) * exp(-abs(sd * 0.5 * g.normal()))), range)
            let volume = hasTrades ? (perMinute * (0.5 + g.unit()) / lot).rounded() * lot : 0
            return MinuteBars.Bar(
                minute: start + 60 * i, open: o, high: max(h, o, c), low: min(l, o, c), close: c,
                volume: PriceWalk.round(volume, to: lot))
        }
    }

    private func clamp(_ price: Double, _ range: ClosedRange<Double>?) -> Double {
        guard let range else { return price }
        return min(range.upperBound, max(range.lowerBound, price))
    }

    private func round(_ price: Double) -> Double { PriceWalk.round(price, to: minTick) }

    /// Minutes gathered into bars of `seconds` (clock-aligned; a session's first bar starts at its open), or
    /// one per day for daily bars.
    static func bars(
        _ days: [[MinuteBars.Bar]], seconds: Int, from start: Double, to end: Double
    ) -> [(start: Int, day: Bool, bar: MinuteBars.Bar)] {
        var out: [(start: Int, day: Bool, bar: MinuteBars.Bar)] = []
        for day in days {
            let minutes = day.filter { Double($0.minute) >= start.rounded(.down) - 59 && Double($0.minute) < end }
            guard let first = minutes.first else { continue }
            var current: (start: Int, day: Bool, bar: MinuteBars.Bar)?
            for minute in minutes {
                let bucket = seconds >= 86_400 ? first.minute : max(first.minute, minute.minute / seconds * seconds)
                if var open = current, open.start == bucket {
                    open.bar.high = max(open.bar.high, minute.high)
                    open.bar.low = min(open.bar.low, minute.low)
                    open.bar.close = minute.close
                    open.bar.volume += minute.volume
                    // A daily bar is named by its last minute: an FX day starting at 17:00 is the next date's.
                    if open.day { open.bar.minute = minute.minute }
                    current = open
                } else {
                    if let done = current { out.append(done) }
                    var bar = minute
                    bar.minute = bucket
                    current = (bucket, seconds >= 86_400, bar)
                }
            }
            if let done = current { out.append(done) }
        }
        return out
    }
}
