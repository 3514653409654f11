/// One symbol's candles at one interval, oldest first: the provider's history, then the candle forming now, built
/// from the trades the hub sees (the last price and the growth of the day's volume; the midpoint where the market
/// has no trades, as FX has) until the provider's own bar for that interval arrives and takes its place.
///
/// Pure and single-owner: the chart desk keeps one per followed series behind its lock.
public struct CandleSeries: Sendable {
    public let key: BarKey
    public private(set) var bars: [Bar] = []
    /// Who the history came from; nil until a backfill or a provider's bar.
    public private(set) var source: QuoteSource?
    /// The most bars kept: older ones fall off the front.
    public let limit: Int
    /// Whether trades (rather than the midpoint) make the candle.
    private let tradesMake: Bool
    /// The day's volume in the last quote taken: a later one's growth is the volume traded in between.
    private var dayVolume: Double?
    private var lastPrice: Double?

    public init(key: BarKey, securityType: SecurityType, limit: Int = 2_000) {
        self.key = key
        self.limit = max(1, limit)
        tradesMake = securityType != .forex
    }

    public var last: Bar? { bars.last }

    /// Whether the newest bar's interval has ended at `now` (ms, on the market's clock).
    public func lastComplete(now: Int64) -> Bool {
        guard let last = bars.last else { return true }
        return now >= last.time + key.interval.milliseconds
    }

    /// The provider's history: it replaces what the series held up to its newest bar; candles built since then,
    /// newer than anything the history has, stay.
    public mutating func backfill(_ history: [Bar], source: QuoteSource) {
        let fetched = history.filter(\.isConsistent).sorted { $0.time < $1.time }
        var merged: [Bar] = []
        merged.reserveCapacity(fetched.count + 2)
        for bar in fetched where merged.last?.time != bar.time { merged.append(bar) }
        let newestFetched = merged.last?.time ?? Int64.min
        merged.append(contentsOf: bars.filter { $0.time > newestFetched })
        bars = merged
        self.source = source
        trim()
    }

    /// Takes a quote into the forming candle at `time` (ms, on the market's clock). Returns the candle it changed,
    /// or nil when the quote carried no trade (or no midpoint move, for FX), was stale, or was older than the series.
    public mutating func take(_ quote: Quote, at time: Int64) -> Bar? {
        guard !quote.stale else { return nil }
        var traded: Double = 0
        if let volume = quote.volume {
            if let before = dayVolume, volume > before { traded = volume - before }
            dayVolume = volume
        }
        let price: Double
        if tradesMake {
            guard let last = quote.last, last.isFinite, last > 0 else { return nil }
            // A quote whose last and volume are both unchanged is a book update: no trade to add.
            guard traded > 0 || last != lastPrice else { return nil }
            price = last
        } else {
            guard let mid = quote.midpoint, mid.isFinite, mid > 0, mid != lastPrice else { return nil }
            price = mid
        }
        lastPrice = price
        let start = key.interval.start(of: time)
        let volume: Double? = tradesMake ? traded : nil
        if var forming = bars.last, forming.time == start {
            forming.high = max(forming.high, price)
            forming.low = min(forming.low, price)
            forming.close = price
            if let volume { forming.volume = (forming.volume ?? 0) + volume }
            bars[bars.count - 1] = forming
            return forming
        }
        if let newest = bars.last, newest.time > start { return nil }
        let opened = Bar(time: start, open: price, high: price, low: price, close: price, volume: volume)
        bars.append(opened)
        trim()
        return opened
    }

    /// The provider's own bar (the forming one as it updates it, or one it completed): it takes the place of the
    /// candle the hub built for that interval. Returns it when the series took it and it changed something.
    public mutating func correct(with bar: Bar, source: QuoteSource) -> Bar? {
        guard bar.isConsistent else { return nil }
        self.source = source
        if let index = bars.lastIndex(where: { $0.time <= bar.time }) {
            if bars[index].time == bar.time {
                // The provider repeating what the series holds (a follow's first answer) changes nothing.
                guard bars[index] != bar else { return nil }
                bars[index] = bar
            } else {
                bars.insert(bar, at: index + 1)
            }
        } else {
            bars.insert(bar, at: 0)
        }
        trim()
        return bar
    }

    /// The bars in `[from, to)`.
    public func bars(from: Int64, to: Int64) -> ArraySlice<Bar> {
        let lower = bars.firstIndex { $0.time >= from } ?? bars.endIndex
        let upper = bars[lower...].firstIndex { $0.time >= to } ?? bars.endIndex
        return bars[lower..<upper]
    }

    private mutating func trim() {
        if bars.count > limit { bars.removeFirst(bars.count - limit) }
    }
}
