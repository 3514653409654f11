import TickhubCore

/// The bar series as one shard serves them: its copy of each series the hub follows, kept up to date by the
/// published updates (a bar with a newer time is appended, one of a time the copy has replaces it), bounded to
/// `EncodedBarSeries.limit` bars, and its `bars` message for a new subscriber, encoded once per state of the copy.
package struct ChartView {
    struct Series {
        var bars: [Bar]
        var source: QuoteSource?
        var lastComplete: Bool
        /// The `bars` message of the copy as it stands; nil once an update changed it, until someone needs it.
        var encoded: SharedBytes?
    }

    private(set) var series: [BarKey: Series] = [:]

    package init() {}

    /// A whole series, as published: it replaces the copy, and its bytes are the snapshot until an update.
    package mutating func store(_ published: EncodedBarSeries) {
        series[published.key] = Series(bars: published.bars, source: published.source, lastComplete: published.lastComplete,
                                       encoded: published.bytes)
    }

    /// Takes an update into the copy; false when there is no copy to take it (the series has not arrived, or was
    /// released) or the bar is older than everything kept: such an update is not passed on either.
    package mutating func update(_ update: EncodedBar) -> Bool {
        guard var copy = series[update.key] else { return false }
        series[update.key] = nil // so that the copy below is not a second reference to the bars
        defer { series[update.key] = copy }
        let bar = update.bar
        if copy.bars.isEmpty || bar.time > copy.bars[copy.bars.count - 1].time {
            copy.bars.append(bar)
            if copy.bars.count > EncodedBarSeries.limit { copy.bars.removeFirst(copy.bars.count - EncodedBarSeries.limit) }
            copy.lastComplete = false
        } else if bar.time == copy.bars[copy.bars.count - 1].time {
            copy.bars[copy.bars.count - 1] = bar
            copy.lastComplete = false
        } else {
            // A correction of an earlier bar (the provider's own bar replacing the one built from trades).
            let index = Self.firstIndex(notBefore: bar.time, in: copy.bars)
            if copy.bars[index].time == bar.time {
                copy.bars[index] = bar
            } else if index > 0 {
                copy.bars.insert(bar, at: index)
            } else {
                return false
            }
        }
        copy.encoded = nil
        return true
    }

    /// The `bars` message for the series as this shard has it; nil when it has none yet.
    package mutating func snapshot(_ key: BarKey) -> SharedBytes? {
        guard let copy = series[key] else { return nil }
        if let encoded = copy.encoded { return encoded }
        let encoded = SharedBytes(BarEncoding.series(key, bars: copy.bars, source: copy.source, lastComplete: copy.lastComplete))
        series[key]?.encoded = encoded
        return encoded
    }

    /// The series is no longer followed: its updates stop, so the copy would go stale.
    package mutating func forget(_ key: BarKey) { series[key] = nil }

    package func bars(_ key: BarKey) -> [Bar]? { series[key]?.bars }

    package var count: Int { series.count }

    /// The index of the first bar at or after `time` (bars oldest first).
    private static func firstIndex(notBefore time: Int64, in bars: [Bar]) -> Int {
        var low = 0, high = bars.count
        while low < high {
            let middle = (low + high) / 2
            if bars[middle].time < time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
