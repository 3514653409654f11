/// The minutes a walk has run through, as bars: what history shows for the part of today the simulator has run,
/// so a chart and the quotes tell the same story. Bounded to a day's minutes.
struct MinuteBars {
    struct Bar: Equatable {
        /// Unix seconds of the minute's start.
        var minute: Int
        var open: Double
        var high: Double
        var low: Double
        var close: Double
        var volume: Double
    }

    static let capacity = 1_440
    /// Oldest first.
    private(set) var bars: [Bar] = []
    /// The walk's day volume at the last record: a minute's volume is what the day's grew by.
    private var lastVolume: Double?

    /// Folds the walk's price and day volume at `time` into its minute.
    mutating func record(price: Double, dayVolume: Double, at time: Double) {
        let minute = Int(time.rounded(.down)) / 60 * 60
        // The day volume starts again at a new session: nothing is lost, the delta is just not negative.
        let traded = max(0, dayVolume - (lastVolume ?? dayVolume))
        lastVolume = dayVolume
        if var bar = bars.last, bar.minute == minute {
            bar.high = max(bar.high, price)
            bar.low = min(bar.low, price)
            bar.close = price
            bar.volume += traded
            bars[bars.count - 1] = bar
            return
        }
        guard bars.last.map({ $0.minute < minute }) ?? true else { return }
        bars.append(Bar(minute: minute, open: price, high: price, low: price, close: price, volume: traded))
        if bars.count > Self.capacity { bars.removeFirst(bars.count - Self.capacity) }
    }
}
