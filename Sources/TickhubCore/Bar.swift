/// One candle: the prices of a symbol over one interval, starting at `time` (ms since the epoch; a day's bar at
/// 00:00 UTC of its trading date). `volume` is nil where the market has none to report (FX midpoints).
public struct Bar: Sendable, Equatable, Codable {
    public var time: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double?

    public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double? = nil) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// A bar whose high is below its low, or whose open or close lies outside them, is not one the hub passes on.
    public var isConsistent: Bool {
        low <= high && low <= open && open <= high && low <= close && close <= high
            && [open, high, low, close].allSatisfy { $0.isFinite && $0 > 0 }
    }
}

/// A series followed by the charts: one symbol at one interval.
public struct BarKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var symbol: String
    public var interval: BarInterval

    public init(symbol: String, interval: BarInterval) {
        self.symbol = symbol
        self.interval = interval
    }

    public var description: String { "\(symbol) \(interval.rawValue)" }
}

/// Bars asked of a provider: `[from, to)` in ms since the epoch, at one interval.
public struct BarRequest: Sendable, Equatable {
    public var instrument: Instrument
    public var interval: BarInterval
    public var from: Int64
    public var to: Int64

    public init(instrument: Instrument, interval: BarInterval, from: Int64, to: Int64) {
        self.instrument = instrument
        self.interval = interval
        self.from = from
        self.to = to
    }

    public var key: BarKey { BarKey(symbol: instrument.symbol, interval: interval) }
}

/// What a provider answered: its bars, oldest first, and who it was.
public struct BarFetch: Sendable, Equatable {
    public var bars: [Bar]
    public var source: QuoteSource

    public init(bars: [Bar], source: QuoteSource) {
        self.bars = bars
        self.source = source
    }
}
