/// A position to value: what is held, at what cost, in whose account.
public struct Holding: Sendable, Equatable {
    public var broker: String
    public var account: String
    public var instrument: Instrument
    /// Negative for a short position.
    public var quantity: Double
    /// As the broker reports it; see `costIncludesMultiplier`.
    public var averageCost: Double
    /// Units per contract: 100 for equity options, the contract size for futures, 1 otherwise.
    public var multiplier: Double
    public var currency: String
    /// IBKR reports options' and futures' average cost per contract, multiplier already applied;
    /// other brokers' exports usually give it per unit.
    public var costIncludesMultiplier: Bool
    /// The broker's own figures, when it reports them, shown beside Tickhub's and never used in its sums: its
    /// unrealized P&L (IBKR, TastyTrade from its mark), its mark price and the close it measures the day from
    /// (TastyTrade's `mark` and `close-price`), per unit like Tickhub's `marketPrice`.
    public var brokerUnrealizedPnL: Double?
    public var brokerMarketPrice: Double?
    public var brokerClosePrice: Double?

    public init(
        broker: String, account: String, instrument: Instrument, quantity: Double, averageCost: Double,
        multiplier: Double? = nil, currency: String? = nil, costIncludesMultiplier: Bool = false,
        brokerUnrealizedPnL: Double? = nil, brokerMarketPrice: Double? = nil, brokerClosePrice: Double? = nil
    ) {
        self.broker = broker
        self.account = account
        self.instrument = instrument
        self.quantity = quantity
        self.averageCost = averageCost
        self.multiplier = multiplier ?? instrument.multiplier
        self.currency = currency ?? instrument.currency
        self.costIncludesMultiplier = costIncludesMultiplier
        self.brokerUnrealizedPnL = brokerUnrealizedPnL
        self.brokerMarketPrice = brokerMarketPrice
        self.brokerClosePrice = brokerClosePrice
    }

    /// Cost of one unit of the underlying quantity, whichever way the broker reported it.
    public var costPerUnit: Double { costIncludesMultiplier ? averageCost / multiplier : averageCost }
}

/// The price a position is marked at, and how it was chosen.
public struct Mark: Sendable, Equatable {
    public enum Method: String, Sendable {
        /// The last trade, fresh and inside the bid/ask.
        case last
        /// The bid/ask midpoint (no trade, or a trade outside the current market).
        case midpoint
        /// The last known price from a quote that is stale or one-sided.
        case lastKnown
    }

    public var price: Double
    public var method: Method
    public var stale: Bool
    public var source: QuoteSource

    public init(price: Double, method: Method, stale: Bool, source: QuoteSource) {
        self.price = price
        self.method = method
        self.stale = stale
        self.source = source
    }
}

/// One position valued at its mark, in its own currency and (when a rate is known) in USD.
public struct PositionValuation: Sendable, Equatable {
    public var holding: Holding
    public var mark: Mark?
    public var marketValue: Double?
    /// (mark − cost per unit) × quantity × multiplier.
    public var unrealizedPnL: Double?
    /// (mark − previous close) × quantity × multiplier.
    public var dailyPnL: Double?
    /// Unrealized P&L over the cost basis, in percent.
    public var unrealizedPercent: Double?
    /// Multiply amounts by this to get USD; nil when the position is not in USD and no rate is known.
    public var usdRate: Double?

    public var stale: Bool { mark?.stale ?? true }
}

/// Totals over a set of positions, in USD; positions without a USD rate are counted apart.
public struct PnLTotals: Sendable, Equatable {
    public var positions = 0
    public var marketValue = 0.0
    public var unrealizedPnL = 0.0
    public var dailyPnL = 0.0
    /// Positions left out of the sums: no mark yet, or not in USD with no FX quote to convert.
    public var unvalued = 0
    public var stale = 0

    public init() {}
}

/// Valuation rules, pure: marks, P&L per position, totals and allocation. No I/O; every input is explicit.
///
/// Mark rule: the last trade when the quote is fresh and the last lies inside the bid/ask; else the bid/ask
/// midpoint when both sides are quoted and not crossed; else the last known price (last, or a single side),
/// flagged stale. A stale quote always gives a stale mark.
public enum PnLEngine {
    public static func mark(_ quote: Quote?) -> Mark? {
        guard let quote else { return nil }
        if !quote.stale, let last = quote.last {
            if let bid = quote.bid, let ask = quote.ask, bid <= ask {
                if last >= bid, last <= ask { return Mark(price: last, method: .last, stale: false, source: quote.source) }
            } else {
                // No two-sided market to check the trade against (Yahoo, Alpha Vantage): the last trade stands.
                return Mark(price: last, method: .last, stale: false, source: quote.source)
            }
        }
        if let mid = quote.midpoint {
            return Mark(price: mid, method: .midpoint, stale: quote.stale, source: quote.source)
        }
        if let known = quote.last ?? quote.bid ?? quote.ask {
            return Mark(price: known, method: .lastKnown, stale: true, source: quote.source)
        }
        return nil
    }

    /// Values one holding. `usdRates` maps a currency to its USD value (e.g. "EUR": 1.08, from EUR.USD).
    public static func value(_ holding: Holding, quote: Quote?, usdRates: [String: Double] = [:]) -> PositionValuation {
        var valuation = PositionValuation(holding: holding)
        valuation.usdRate = holding.currency == "USD" ? 1 : usdRates[holding.currency]
        guard let mark = mark(quote) else { return valuation }
        let units = holding.quantity * holding.multiplier
        valuation.mark = mark
        valuation.marketValue = mark.price * units
        valuation.unrealizedPnL = (mark.price - holding.costPerUnit) * units
        if let close = quote?.close, close > 0 { valuation.dailyPnL = (mark.price - close) * units }
        let basis = abs(holding.costPerUnit * units)
        if basis > 0, let unrealized = valuation.unrealizedPnL { valuation.unrealizedPercent = unrealized / basis * 100 }
        return valuation
    }

    /// Sums valuations in USD, grouped by `key` (e.g. broker, "broker:account", or "" for the total).
    public static func totals<Key: Hashable>(_ valuations: [PositionValuation], by key: (PositionValuation) -> Key) -> [Key: PnLTotals] {
        var result: [Key: PnLTotals] = [:]
        for valuation in valuations {
            var totals = result[key(valuation)] ?? PnLTotals()
            totals.positions += 1
            if valuation.stale { totals.stale += 1 }
            if let rate = valuation.usdRate, let value = valuation.marketValue, let unrealized = valuation.unrealizedPnL {
                totals.marketValue += value * rate
                totals.unrealizedPnL += unrealized * rate
                totals.dailyPnL += (valuation.dailyPnL ?? 0) * rate
            } else {
                totals.unvalued += 1
            }
            result[key(valuation)] = totals
        }
        return result
    }

    /// Share of gross market value (absolute, in USD) per key, summing to 1 over valued positions.
    public static func allocation(_ valuations: [PositionValuation], by key: (PositionValuation) -> String) -> [String: Double] {
        var gross: [String: Double] = [:]
        var total = 0.0
        for valuation in valuations {
            guard let rate = valuation.usdRate, let value = valuation.marketValue else { continue }
            gross[key(valuation), default: 0] += abs(value * rate)
            total += abs(value * rate)
        }
        guard total > 0 else { return [:] }
        return gross.mapValues { $0 / total }
    }

    /// USD rates from FX quotes: a `XXX.USD` pair gives XXX directly, a `USD.XXX` pair its inverse.
    public static func usdRates(from quotes: [Quote]) -> [String: Double] {
        var rates: [String: Double] = ["USD": 1]
        for quote in quotes {
            guard let instrument = try? SymbolGrammar.parse(quote.symbol), instrument.securityType == .forex,
                  let price = mark(quote)?.price, price > 0
            else { continue }
            if instrument.currency == "USD" { rates[instrument.root] = price }
            if instrument.root == "USD" { rates[instrument.currency] = 1 / price }
        }
        return rates
    }
}
