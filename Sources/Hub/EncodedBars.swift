import TickhubCore

/// A whole bar series as every shard takes it: the bars checked and ordered, and its `bars` message, encoded once on
/// the publishing side and shared by every subscriber of every shard until the shard's copy changes.
package struct EncodedBarSeries: Sendable {
    /// The most bars a series keeps, in every shard's copy: a day of minutes and more, a few hundred KiB as JSON.
    package static let limit = 2_000

    package let key: BarKey
    /// Oldest first, one per time, only bars that hold together (`Bar.isConsistent`), the newest `limit`.
    package let bars: [Bar]
    package let source: QuoteSource?
    package let lastComplete: Bool
    package let bytes: SharedBytes

    package init(_ key: BarKey, bars: [Bar], source: QuoteSource?, lastComplete: Bool) {
        var checked = bars.filter(\.isConsistent)
        if !zip(checked, checked.dropFirst()).allSatisfy({ $0.time < $1.time }) {
            // Out of order or twice the same time: the later of two bars of one time is the newer word on it.
            var byTime: [Int64: Bar] = [:]
            for bar in checked { byTime[bar.time] = bar }
            checked = byTime.values.sorted { $0.time < $1.time }
        }
        if checked.count > Self.limit { checked.removeFirst(checked.count - Self.limit) }
        self.key = key
        self.bars = checked
        self.source = source
        self.lastComplete = lastComplete
        bytes = SharedBytes(BarEncoding.series(key, bars: checked, source: source, lastComplete: lastComplete))
    }
}

/// One bar's update as every shard takes it, its `bar` message encoded once and shared like a quote's.
package struct EncodedBar: Sendable {
    package let key: BarKey
    package let bar: Bar
    package let source: QuoteSource
    package let bytes: SharedBytes

    package init(_ key: BarKey, _ bar: Bar, source: QuoteSource) {
        self.key = key
        self.bar = bar
        self.source = source
        bytes = SharedBytes(BarEncoding.update(key, bar, source: source))
    }
}
