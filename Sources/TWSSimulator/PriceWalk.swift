import Foundation
import TickhubCore

/// One instrument's simulated book and session statistics.
///
/// The fair value moves as a driftless log-normal random walk (stocks, FX, crypto) or is an option's model value
/// on its underlying's; bid and ask sit around it on the tick grid, a few ticks apart. Time is what moves it: a
/// step `dt` seconds after the last draws a move with standard deviation `dailyVolatility * sqrt(dt / session)`,
/// so a day of steps moves as much as a day should, whatever the tick rate. Trades take the volume the day's
/// rate has accrued since the last one, at the bid or the ask. Outside its session (`MarketHours`) nothing moves.
///
/// Invariants a test checks: bid < ask, prices on the grid, low ≤ last ≤ high (FX: the bid/ask midpoint), every
/// new high or low reported, volume never falls within a day, no trade outside the session.
struct PriceWalk {
    /// What one step changed.
    struct Changes: OptionSet, Hashable {
        let rawValue: UInt16
        static let bid = Changes(rawValue: 1 << 0)
        static let ask = Changes(rawValue: 1 << 1)
        static let trade = Changes(rawValue: 1 << 2)
        /// When the ask moved up, it must reach the client first or the book could cross for a moment.
        static let askFirst = Changes(rawValue: 1 << 3)
        /// The size at an unchanged bid or ask.
        static let bidSize = Changes(rawValue: 1 << 4)
        static let askSize = Changes(rawValue: 1 << 5)
        static let high = Changes(rawValue: 1 << 6)
        static let low = Changes(rawValue: 1 << 7)
        /// A new trading day: open, high, low, close and volume all start again.
        static let session = Changes(rawValue: 1 << 8)
        /// An option's model value moved (with its underlying, or with time).
        static let model = Changes(rawValue: 1 << 9)
    }

    enum Pricing {
        /// Log-normal, driftless; the standard deviation of the log move over one second.
        case randomWalk(perSqrtSecond: Double)
        /// Black-Scholes on the underlying's fair value, at the underlying's annualized volatility.
        case option(BlackScholes, expiry: Double?, sigma: Double)
    }

    let instrument: Instrument
    let pricing: Pricing
    let minTick: Double
    /// The unit sizes come in: 100 shares, 1 contract, 0.01 coin, 100,000 of a currency.
    let lot: Double
    let hasTrades: Bool
    /// What a full session trades, on average.
    let dailyVolume: Double
    /// Options: contracts open, fixed for the run.
    let openInterest: Double
    /// The walk's own value of the instrument; the book sits around it.
    private(set) var fair: Double
    /// Options: the underlying price the model value was computed at.
    private(set) var underlyingPrice: Double?
    private(set) var bid = 0.0
    private(set) var ask = 0.0
    private(set) var last: Double
    private(set) var bidSize: Double
    private(set) var askSize: Double
    private(set) var lastSize: Double
    private(set) var volume: Double
    private(set) var open: Double
    private(set) var high: Double
    private(set) var low: Double
    /// The previous session's close.
    private(set) var close: Double
    /// Unix seconds of the last trade.
    private(set) var lastTradeTime: Int
    /// The trading day the statistics belong to; nil until the first step inside a session.
    private(set) var day: TradingCalendar.Day?
    private var lastStepTime: Double
    private var pendingVolume = 0.0
    private var spreadTicks = 2.0

    /// A walk for `listing` as its market stands at `time`. An option needs its underlying's walk.
    init(
        listing: SymbolUniverse.Listing, dailyVolatility: Double, rate: Double, underlying: PriceWalk? = nil,
        generator g: inout SeededGenerator, at time: Double
    ) {
        instrument = listing.instrument
        let type = instrument.securityType
        let session = TradingCalendar.sessionSeconds(type)
        hasTrades = type != .forex
        lastStepTime = time
        lastTradeTime = Int(time)
        if let terms = instrument.option, let underlying {
            let model = BlackScholes(right: terms.right, strike: terms.strike, rate: rate)
            // Option markets quote annualized volatility over trading days.
            let sigma = dailyVolatility * 252.0.squareRoot()
            let expiry = TradingCalendar.expiry(of: terms)
            pricing = .option(model, expiry: expiry, sigma: sigma)
            underlyingPrice = underlying.fair
            fair = Self.value(model, expiry: expiry, sigma: sigma, spot: underlying.fair, at: time).price
            minTick = fair < 3 ? 0.01 : 0.05
            lot = 1
            // Near the money a liquid option trades a few thousand contracts a day, far from it a few dozen.
            let years = max(1.0 / 365, ((expiry ?? time) - time) / (365 * 86_400))
            let distance = log(underlying.fair / terms.strike) / (sigma * years.squareRoot())
            dailyVolume = (4_000 * exp(-distance * distance / 2) + 40).rounded()
            openInterest = (dailyVolume * (5 + 10 * g.unit())).rounded()
        } else {
            pricing = .randomWalk(perSqrtSecond: dailyVolatility / session.squareRoot())
            fair = listing.startPrice
            underlyingPrice = nil
            switch type {
            case .forex:
                minTick = fair > 20 ? 0.005 : 0.00005
                lot = 100_000
                dailyVolume = 0
            case .crypto:
                minTick = 0.25
                lot = 0.01
                dailyVolume = (300_000_000 / fair / lot).rounded() * lot
            default:
                minTick = 0.01
                lot = 100
                dailyVolume = (5_000_000_000 / fair / lot).rounded() * lot
            }
            openInterest = 0
        }
        bidSize = lot
        askSize = lot
        lastSize = lot
        volume = 0
        last = fair
        open = fair
        high = fair
        low = fair
        close = fair
        _ = requote(&g)
        // The session so far: a previous close within about a day's move, an open near it, a range around both.
        let move = type == .option ? 0.1 : dailyVolatility
        close = round(fair * (1 + (g.unit() - 0.5) * 2 * move))
        open = round(close * (1 + (g.unit() - 0.5) * move))
        last = hasTrades ? (g.unit() < 0.5 ? bid : ask) : midpoint
        high = round(max(open, last) * (1 + g.unit() * move / 3))
        low = round(min(open, last) * (1 - g.unit() * move / 3))
        let fraction = TradingCalendar.sessionFraction(instrument, at: time)
        volume = hasTrades ? max(lot, (dailyVolume * fraction / lot).rounded() * lot) : 0
        lastSize = hasTrades ? min(volume, lot * Double(1 + Int(g.unit() * 5))) : 0
        if MarketHours.isOpen(instrument, at: Date(timeIntervalSince1970: time)) {
            day = TradingCalendar.day(of: type, at: time)
        }
    }

    var midpoint: Double { Self.round((bid + ask) / 2, to: minTick / 2) }

    /// The option's model value and greeks now; nil for anything else.
    var valuation: BlackScholes.Valuation? {
        guard case let .option(model, expiry, sigma) = pricing, let underlyingPrice else { return nil }
        return Self.value(model, expiry: expiry, sigma: sigma, spot: underlyingPrice, at: lastStepTime)
    }

    /// Years from `time` to the option's expiry (0 after it); nil for anything else.
    var yearsToExpiry: Double? {
        guard case let .option(_, expiry, _) = pricing else { return nil }
        return Self.years(to: expiry, from: lastStepTime)
    }

    /// The option model's volatility; nil for anything else.
    var modelVolatility: Double? {
        guard case let .option(_, _, sigma) = pricing else { return nil }
        return sigma
    }

    var model: BlackScholes? {
        guard case let .option(model, _, _) = pricing else { return nil }
        return model
    }

    /// A step changes something when the market is open, so a tick round always gets somewhere.
    /// - Parameter underlying: an option's underlying fair value now; ignored for anything else.
    mutating func step(_ g: inout SeededGenerator, at time: Double, underlying: Double? = nil) -> Changes {
        guard MarketHours.isOpen(instrument, at: Date(timeIntervalSince1970: time)) else {
            lastStepTime = time
            return []
        }
        var changes: Changes = []
        if day?.contains(time) != true {
            changes.formUnion(beginDay(TradingCalendar.day(of: instrument.securityType, at: time)))
        }
        // A clock set forward, or a loop that stalled, must not come back with a day's move in one step.
        let dt = min(60, max(0, time - lastStepTime))
        lastStepTime = time
        switch pricing {
        case let .randomWalk(perSqrtSecond):
            if dt > 0 {
                let sd = perSqrtSecond * dt.squareRoot()
                // exp(sd·Z − sd²/2) has expectation 1: the fair value is a martingale, with no drift either way.
                fair *= exp(sd * g.normal() - sd * sd / 2)
            }
        case let .option(model, expiry, sigma):
            if let underlying { underlyingPrice = underlying }
            let value = Self.value(model, expiry: expiry, sigma: sigma, spot: underlyingPrice ?? 0, at: time).price
            if value != fair { changes.insert(.model) }
            fair = value
        }
        changes.formUnion(requote(&g))
        if hasTrades {
            changes.formUnion(trade(&g, dt: dt, at: time))
        } else {
            changes.formUnion(extend(to: midpoint))
        }
        if changes.isDisjoint(with: [.bid, .ask, .trade, .session, .bidSize, .askSize]) {
            // A quiet moment still changes the queue at the touch.
            if g.unit() < 0.5 {
                bidSize = newSize(&g, differentFrom: bidSize)
                changes.insert(.bidSize)
            } else {
                askSize = newSize(&g, differentFrom: askSize)
                changes.insert(.askSize)
            }
        }
        return changes
    }

    /// The day's statistics start again from the last price: it becomes the close, the open and the whole range
    /// (nothing moved while the market was shut, and a client's last never falls outside the range it holds).
    private mutating func beginDay(_ newDay: TradingCalendar.Day) -> Changes {
        let reference = hasTrades ? last : midpoint
        close = reference
        open = reference
        high = reference
        low = reference
        volume = 0
        day = newDay
        pendingVolume = 0
        return .session
    }

    /// Bid and ask around the fair value, `spreadTicks - 1` ticks wide at least, never crossed.
    private mutating func requote(_ g: inout SeededGenerator) -> Changes {
        if g.unit() < 0.15 { spreadTicks = Double(1 + Int(g.unit() * 3)) }
        let half = (spreadTicks - 1) / 2
        let steps = fair / minTick
        var newBid = (steps - half + 1e-9).rounded(.down)
        var newAsk = (steps + half - 1e-9).rounded(.up)
        newBid = max(1, newBid)
        newAsk = max(newBid + 1, newAsk)
        let bidPrice = Self.round(newBid * minTick, to: minTick)
        let askPrice = Self.round(newAsk * minTick, to: minTick)
        var changes: Changes = []
        if bidPrice != bid {
            bid = bidPrice
            bidSize = newSize(&g, differentFrom: 0)
            changes.insert(.bid)
        }
        if askPrice != ask {
            if askPrice > ask { changes.insert(.askFirst) }
            ask = askPrice
            askSize = newSize(&g, differentFrom: 0)
            changes.insert(.ask)
        }
        return changes
    }

    /// Trades once the day's rate has accrued at least a lot since the last one, at the bid or the ask.
    private mutating func trade(_ g: inout SeededGenerator, dt: Double, at time: Double) -> Changes {
        let session = TradingCalendar.sessionSeconds(instrument.securityType)
        // Order flow comes in bursts: the rate varies step to step around its mean.
        pendingVolume += dailyVolume * dt / session * 2 * g.unit()
        guard pendingVolume >= lot, g.unit() < 0.4 else { return [] }
        let size = (pendingVolume / lot).rounded(.down) * lot
        pendingVolume -= size
        last = g.unit() < 0.5 ? bid : ask
        lastSize = Self.round(size, to: lot)
        volume = Self.round(volume + size, to: lot)
        lastTradeTime = Int(time)
        return extend(to: last).union(.trade)
    }

    /// Widens the day's range to a price: a new high or low is news of its own.
    private mutating func extend(to price: Double) -> Changes {
        var changes: Changes = []
        if price > high {
            high = price
            changes.insert(.high)
        }
        if price < low {
            low = price
            changes.insert(.low)
        }
        return changes
    }

    private func newSize(_ g: inout SeededGenerator, differentFrom old: Double) -> Double {
        var size = Self.round(lot * Double(1 + Int(g.unit() * 20)), to: lot)
        if size == old { size = Self.round(size + lot, to: lot) }
        return size
    }

    private func round(_ price: Double) -> Double { Self.round(price, to: minTick) }

    static func round(_ value: Double, to tick: Double) -> Double {
        let steps = (value / tick).rounded()
        // Printing 1.0834500000000001 to a client is ugly; snap to the tick's decimal places.
        return (steps * tick * 1e6).rounded() / 1e6
    }

    static func years(to expiry: Double?, from time: Double) -> Double {
        max(0, ((expiry ?? time) - time) / (365 * 86_400))
    }

    static func value(
        _ model: BlackScholes, expiry: Double?, sigma: Double, spot: Double, at time: Double
    ) -> BlackScholes.Valuation {
        model.value(spot: spot, years: years(to: expiry, from: time), sigma: sigma)
    }
}
