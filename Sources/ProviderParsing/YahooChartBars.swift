import Foundation
import TickhubCore

// Yahoo's v8 chart read as chart bars: the same endpoint and the same JSON reading as its quotes (YahooParsing's
// screening and `chartBars`), kept to the bars a chart can draw.

/// The bars of one chart response, oldest first, and what Yahoo said they are.
public struct YahooChartBars: Sendable, Equatable {
    /// Yahoo's symbol as echoed in `meta` (`EURUSD=X`); empty when the meta does not say.
    public var symbol: String
    /// ISO code after the pence conversion (`GBp` → `GBP`), as for quotes.
    public var currency: String?
    /// The exchange's zone (`meta.exchangeTimezoneName`), which placed the daily bars on their trading dates.
    public var exchangeTimezone: String?
    public var bars: [Bar]
    /// Rows Yahoo sent that are not here: a null price (a minute without trades) or prices that contradict each
    /// other (high below low, open or close outside them).
    public var skipped: Int

    public init(symbol: String, currency: String? = nil, exchangeTimezone: String? = nil, bars: [Bar], skipped: Int = 0) {
        self.symbol = symbol
        self.currency = currency
        self.exchangeTimezone = exchangeTimezone
        self.bars = bars
        self.skipped = skipped
    }
}

/// What a chart response gives a chart: its bars, or why there are none. An answer with no bars in the span asked
/// (a weekend, a holiday) is `.bars` with none: the symbol is known and the span is empty.
public enum YahooChartBarsOutcome: Sendable, Equatable {
    case bars(YahooChartBars)
    /// Yahoo does not know the symbol: a "Not Found" error object, a 404, an empty `result`.
    case unknownSymbol(String)
    case rateLimited
    case unauthorized(String)
    /// Anything else, e.g. a 422 for a span the interval does not reach, or bars of another interval than asked.
    case unavailable(String)
}

extension YahooChartBarsOutcome {
    /// What the bars reader says of a response the quote reader gave `outcome` for, where that is not a quote.
    public init(_ outcome: YahooOutcome) {
        switch outcome {
        case let .unknownSymbol(message): self = .unknownSymbol(message)
        case .rateLimited: self = .rateLimited
        case let .unauthorized(message): self = .unauthorized(message)
        case let .unavailable(message): self = .unavailable(message)
        case .quote: self = .unavailable("chart: unexpected body")
        }
    }
}

extension YahooParsing {
    /// The `interval` query value of a chart request for bars of `interval`.
    public static func chartInterval(_ interval: BarInterval) -> String {
        switch interval {
        case .oneMinute: "1m"
        case .fiveMinutes: "5m"
        case .fifteenMinutes: "15m"
        case .thirtyMinutes: "30m"
        case .oneHour: "60m"
        case .oneDay: "1d"
        }
    }

    /// Parses a `/v8/finance/chart/{symbol}?interval=…` response into bars of `interval`.
    ///
    /// Intraday bars keep Yahoo's start times. A daily bar's time is 00:00 UTC of its trading date, the date in the
    /// exchange's zone (`exchangeTimezoneName`, with its daylight saving time; else `gmtoffset`) at Yahoo's stamp,
    /// which is the session's open or local midnight.
    public static func parseChartBars(
        status: Int, contentType: String?, body: Data, interval: BarInterval
    ) -> YahooChartBarsOutcome {
        let first: JSONValue
        switch chartResult(status: status, contentType: contentType, body: body) {
        case let .done(outcome): return YahooChartBarsOutcome(outcome)
        case let .result(result): first = result
        }
        let meta = first["meta"]
        let symbol = meta?["symbol"]?.string ?? ""
        let named = symbol.isEmpty ? "" : " for \(symbol)"
        let asked = chartInterval(interval)
        if let granularity = meta?["dataGranularity"]?.string, !granularity.isEmpty, granularity != asked {
            return .unavailable("Yahoo answered \(granularity) bars\(named) when \(asked) were asked")
        }

        var currency = meta?["currency"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        var rows = chartBars(first)
        if let code = currency, let minor = minorCurrencies[code] {
            currency = minor.major
            rows = rows.map { $0.divided(by: minor.divisor) }
        }
        let zone = ExchangeZone(meta: meta)
        let isCurrency = meta?["instrumentType"]?.string?.uppercased() == "CURRENCY"

        var bars: [Bar] = []
        bars.reserveCapacity(rows.count)
        var skipped = 0
        for row in rows {
            guard let open = row.open, let high = row.high, let low = row.low, let close = row.close else {
                skipped += 1
                continue
            }
            let time = interval == .oneDay ? zone.tradingDate(of: row.time) : row.time
            // Yahoo's FX volume is always 0: there is none to report, which is nil, not a volume of nothing.
            let volume = isCurrency && row.volume == 0 ? nil : row.volume.flatMap { $0 >= 0 ? $0 : nil }
            let bar = Bar(time: time, open: open, high: high, low: low, close: close, volume: volume)
            guard bar.isConsistent else {
                skipped += 1
                continue
            }
            bars.append(bar)
        }
        return .bars(YahooChartBars(
            symbol: symbol, currency: currency, exchangeTimezone: zone.identifier,
            bars: inTimeOrder(bars), skipped: skipped))
    }

    /// `bars` (oldest first, narrower than `interval`) gathered into bars of `interval`, each starting where
    /// `BarInterval.start(of:)` puts it, the hub's own candles' starts: the first bar's open, the last one's close, the
    /// extremes, the volumes added up (nil when none had one). Yahoo's hours start at the session's open (09:30 in
    /// New York), so its half hours folded give the clock hours the hub's live candle forms in.
    public static func fold(_ bars: [Bar], into interval: BarInterval) -> [Bar] {
        var folded: [Bar] = []
        for bar in bars {
            let start = interval.start(of: bar.time)
            guard var into = folded.last, into.time == start else {
                folded.append(Bar(time: start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume))
                continue
            }
            into.high = max(into.high, bar.high)
            into.low = min(into.low, bar.low)
            into.close = bar.close
            if let volume = bar.volume { into.volume = (into.volume ?? 0) + volume }
            folded[folded.count - 1] = into
        }
        return folded
    }

    /// Oldest first, one bar per start: Yahoo repeats the forming bar at the end of a live chart, and the later row
    /// is its newer state.
    static func inTimeOrder(_ bars: [Bar]) -> [Bar] {
        var byTime: [Int64: Bar] = [:]
        for bar in bars { byTime[bar.time] = bar }
        return byTime.values.sorted { $0.time < $1.time }
    }
}

extension YahooBar {
    /// Prices in the major unit when Yahoo gave them in the minor (pence); volume is a count and stays.
    func divided(by divisor: Double) -> YahooBar {
        YahooBar(
            time: time, open: open.map { $0 / divisor }, high: high.map { $0 / divisor }, low: low.map { $0 / divisor },
            close: close.map { $0 / divisor }, volume: volume)
    }
}

/// The exchange's zone as a chart's meta gives it: the zone's name when this system knows it (its offset changes
/// with daylight saving time), else the fixed `gmtoffset` Yahoo sent with the answer, else UTC.
struct ExchangeZone {
    let identifier: String?
    private let zone: TimeZone?
    private let fixedOffsetSeconds: Int64

    init(meta: JSONValue?) {
        let name = meta?["exchangeTimezoneName"]?.string
        // Only names shaped like the zone database's reach Foundation's lookup.
        let plausible = name.flatMap { name -> String? in
            guard (1...64).contains(name.utf8.count),
                  name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/_-+".unicodeScalars.contains($0)) })
            else { return nil }
            return name
        }
        zone = plausible.flatMap(TimeZone.init(identifier:))
        identifier = zone == nil ? nil : plausible
        // No zone is more than 18 hours from UTC; anything else is not an offset.
        let offset = meta?["gmtoffset"]?.number ?? 0
        fixedOffsetSeconds = abs(offset) <= 18 * 3600 ? Int64(offset) : 0
    }

    /// 00:00 UTC of the exchange-local date at `time` (ms since the epoch).
    func tradingDate(of time: Int64) -> Int64 {
        let offset = zone.map { Int64($0.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time) / 1000))) } ?? fixedOffsetSeconds
        return BarInterval.oneDay.start(of: time + offset * 1000)
    }
}
