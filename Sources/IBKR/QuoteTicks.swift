import TWSProtocol
import TickhubCore

/// Merging TWS ticks into a `Quote`. Delayed tick ids land on the same fields and mark the quote delayed.
extension Quote {
    /// Applies a price tick (and the size that travels with bid, ask and last). Returns whether anything changed.
    @discardableResult
    public mutating func apply(_ tick: TickPrice) -> Bool {
        let live = TickType.liveID[tick.tickType] ?? tick.tickType
        if live != tick.tickType { delayed = true }
        // -1 (and 0 for bid/ask) means "no data", typically a closed market: never a price.
        let price: Double? = tick.price > 0 ? tick.price : nil
        var changed = false
        switch live {
        case TickType.bid: changed = either(set(\.bid, price), set(\.bidSize, price == nil ? nil : tick.size))
        case TickType.ask: changed = either(set(\.ask, price), set(\.askSize, price == nil ? nil : tick.size))
        case TickType.last: changed = either(set(\.last, price), set(\.lastSize, price == nil ? nil : tick.size))
        case TickType.high: changed = set(\.high, price)
        case TickType.low: changed = set(\.low, price)
        case TickType.close: changed = set(\.close, price)
        case TickType.open: changed = set(\.open, price)
        default: return false
        }
        return changed
    }

    @discardableResult
    public mutating func apply(_ tick: TickSize) -> Bool {
        let live = TickType.liveID[tick.tickType] ?? tick.tickType
        if live != tick.tickType { delayed = true }
        switch live {
        case TickType.bidSize: return set(\.bidSize, tick.size)
        case TickType.askSize: return set(\.askSize, tick.size)
        case TickType.lastSize: return set(\.lastSize, tick.size)
        case TickType.volume: return set(\.volume, tick.size)
        default: return false
        }
    }

    @discardableResult
    public mutating func apply(_ tick: TickString) -> Bool {
        let live = TickType.liveID[tick.tickType] ?? tick.tickType
        if live != tick.tickType { delayed = true }
        switch live {
        case TickType.lastTimestamp:
            // Unix seconds.
            guard let seconds = Int64(tick.value), seconds > 0 else { return false }
            return setTime(seconds * 1000)
        case TickType.rtVolume:
            // price;size;epochMillis;totalVolume;VWAP;singleTradeFlag
            let parts = tick.value.split(separator: ";", omittingEmptySubsequences: false)
            guard parts.count >= 4 else { return false }
            var changed = false
            if let price = Double(parts[0]), price > 0 { changed = either(set(\.last, price), changed) }
            if let size = Double(parts[1]) { changed = either(set(\.lastSize, size), changed) }
            if let millis = Int64(parts[2]), millis > 0 { changed = either(setTime(millis), changed) }
            if let volume = Double(parts[3]) { changed = either(set(\.volume, volume), changed) }
            return changed
        default:
            return false
        }
    }

    /// Applies an option computation to `greeks`. TWS sends up to four per option: from the bid (10), the ask (11),
    /// the last trade (12) and its model (13), each also delayed (80–83). The model is the one that is always
    /// coherent (the bid's implied volatility is often not computable, the last trade may be hours old), so it wins
    /// once seen; until then the last trade's, then the bid's or the ask's stand in. `held` is the tick type the
    /// quote's greeks came from, kept by the caller across ticks. Returns whether anything changed.
    @discardableResult
    public mutating func apply(_ tick: TickOptionComputation, held: inout Int?) -> Bool {
        let live = TickType.liveID[tick.tickType] ?? tick.tickType
        guard let rank = Self.greeksRank[live] else { return false }
        if live != tick.tickType { delayed = true }
        if let held, let heldRank = Self.greeksRank[held], heldRank > rank { return false }
        held = live
        let computed = OptionGreeks(
            impliedVolatility: tick.impliedVolatility, delta: tick.delta, gamma: tick.gamma, vega: tick.vega,
            theta: tick.theta, underlyingPrice: tick.underlyingPrice)
        guard greeks != computed else { return false }
        greeks = computed
        return true
    }

    /// Which computation's greeks a quote keeps: higher replaces lower and its equal, never the other way round.
    private static let greeksRank: [Int: Int] = [
        TickType.bidOptionComputation: 0, TickType.askOptionComputation: 0,
        TickType.lastOptionComputation: 1, TickType.modelOptionComputation: 2,
    ]

    /// Both sides already evaluated: unlike `||`, nothing is skipped.
    private func either(_ a: Bool, _ b: Bool) -> Bool { a || b }

    private mutating func set(_ field: WritableKeyPath<Quote, Double?>, _ value: Double?) -> Bool {
        guard self[keyPath: field] != value else { return false }
        self[keyPath: field] = value
        return true
    }

    private mutating func setTime(_ millis: Int64) -> Bool {
        guard lastTradeTime != millis else { return false }
        lastTradeTime = millis
        return true
    }
}
