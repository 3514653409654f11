import TickhubCore

/// One symbol's simulated book and session statistics, moved by a seeded random walk.
///
/// Invariants a test checks: bid < ask, bid ≤ last ≤ ask after a trade, low ≤ last ≤ high, volume never falls.
struct PriceWalk {
    /// What one step changed; a quote move can drag the other side of the book with it.
    struct Changes: OptionSet, Hashable {
        let rawValue: UInt8
        static let bid = Changes(rawValue: 1)
        static let ask = Changes(rawValue: 2)
        static let trade = Changes(rawValue: 4)
        /// When both sides moved up, the ask must reach the client first or its book would cross for a moment.
        static let askFirst = Changes(rawValue: 8)
    }

    let minTick: Double
    let fractionalSizes: Bool
    let hasTrades: Bool
    private(set) var bid: Double
    private(set) var ask: Double
    private(set) var last: Double
    private(set) var bidSize: Double
    private(set) var askSize: Double
    private(set) var lastSize: Double
    private(set) var volume: Double
    private(set) var open: Double
    private(set) var high: Double
    private(set) var low: Double
    /// The previous session's close, fixed for the run.
    let close: Double
    /// Unix seconds of the last trade.
    private(set) var lastTradeTime: Int

    init(listing: SymbolUniverse.Listing, generator: inout SeededGenerator, now: Int) {
        let type = listing.instrument.securityType
        let price = listing.startPrice
        minTick = switch type {
        case .forex: price > 20 ? 0.005 : 0.00005
        case .crypto: 0.25
        case .option: price < 3 ? 0.01 : 0.05
        default: 0.01
        }
        fractionalSizes = type == .crypto
        hasTrades = type != .forex
        close = Self.round(price * (1 + (generator.unit() - 0.5) * 0.02), to: minTick)
        open = Self.round(close * (1 + (generator.unit() - 0.5) * 0.01), to: minTick)
        let mid = Self.round(price, to: minTick)
        bid = Self.round(mid - minTick, to: minTick)
        ask = Self.round(mid + minTick, to: minTick)
        last = mid
        high = Self.round(max(open, mid) + minTick, to: minTick)
        low = Self.round(min(open, mid) - minTick, to: minTick)
        bidSize = fractionalSizes ? 0.5 : 100
        askSize = fractionalSizes ? 0.75 : 200
        lastSize = fractionalSizes ? 0.01 : 100
        volume = fractionalSizes ? 12.5 : (type == .option ? 1_500 : 1_000_000)
        lastTradeTime = now
    }

    static func round(_ price: Double, to tick: Double) -> Double {
        let steps = (price / tick).rounded()
        // Printing 1.0834500000000001 to a client is ugly; snap to the tick's decimal places.
        return (steps * tick * 1e6).rounded() / 1e6
    }

    /// Moves the book one step and says what changed.
    mutating func step(_ g: inout SeededGenerator, now: Int) -> Changes {
        let roll = g.unit()
        let ticks = Double(Int(g.unit() * 3) + 1) * minTick * (g.unit() < 0.5 ? -1 : 1)
        let sizeUnit = fractionalSizes ? 0.01 : 100
        let newSize = (Double(Int(g.unit() * 20) + 1) * sizeUnit * 100).rounded() / 100
        if roll < 0.4 || !hasTrades && roll < 0.7 {
            bid = Self.round(max(minTick, min(bid + ticks, ask - minTick)), to: minTick)
            bidSize = newSize
            // Keep the spread sane: a bid far below the ask pulls the ask down with it.
            guard ask - bid > 5 * minTick else { return .bid }
            ask = Self.round(bid + minTick * 2, to: minTick)
            return [.bid, .ask]
        }
        if roll < 0.8 || !hasTrades {
            ask = Self.round(max(bid + minTick, ask + ticks), to: minTick)
            askSize = newSize
            guard ask - bid > 5 * minTick else { return .ask }
            bid = Self.round(ask - minTick * 2, to: minTick)
            return [.bid, .ask, .askFirst]
        }
        last = g.unit() < 0.5 ? bid : ask
        lastSize = newSize
        volume = ((volume + newSize) * 100).rounded() / 100
        high = max(high, last)
        low = min(low, last)
        lastTradeTime = now
        return .trade
    }
}
