/// Where a quote came from. Every quote says so, and clients show it.
public enum QuoteSource: String, Sendable, Codable, CaseIterable {
    case ibkr
    case yahoo
    case alphaVantage = "alphavantage"
    case push
    /// TastyTrade's market data: dxFeed's DXLink.
    case tastytrade
}

/// An option's implied volatility (annualized, a fraction: 0.25 is 25 %), sensitivities per share, and the
/// underlying price they were computed at. Each is nil when the source does not know it.
public struct OptionGreeks: Equatable, Sendable {
    public var impliedVolatility: Double?
    /// Change in option price per 1.00 move of the underlying: 0…1 for calls, −1…0 for puts.
    public var delta: Double?
    public var gamma: Double?
    /// Change in option price per one point (0.01) of implied volatility.
    public var vega: Double?
    /// Change in option price per calendar day.
    public var theta: Double?
    public var underlyingPrice: Double?

    public init(impliedVolatility: Double? = nil, delta: Double? = nil, gamma: Double? = nil, vega: Double? = nil,
                theta: Double? = nil, underlyingPrice: Double? = nil) {
        self.impliedVolatility = impliedVolatility
        self.delta = delta
        self.gamma = gamma
        self.vega = vega
        self.theta = theta
        self.underlyingPrice = underlyingPrice
    }
}

/// The latest known state of one instrument's market: book, last trade and session statistics.
///
/// Absent values are nil, never a placeholder: TWS's "-1" for "no data" and Yahoo's nulls both become nil.
/// `stale` is set whenever the source can no longer vouch for the values (link down, farm down, silent too long);
/// a stale quote is still shown, marked, never presented as live.
public struct Quote: Equatable, Sendable {
    public var symbol: String
    public var bid: Double?
    public var ask: Double?
    public var last: Double?
    public var bidSize: Double?
    public var askSize: Double?
    public var lastSize: Double?
    public var volume: Double?
    public var open: Double?
    public var high: Double?
    public var low: Double?
    /// The previous session's close.
    public var close: Double?
    /// Milliseconds since the Unix epoch of the last trade, when the source reports it.
    public var lastTradeTime: Int64?
    /// Milliseconds since the Unix epoch of the source's update this quote reflects.
    public var timestamp: Int64
    /// Microseconds since the Unix epoch when the source stamped the update, when it says (a publisher's `ts`):
    /// with it a client can measure latency from the source, not only from the hub.
    public var sourceTime: Int64?
    public var source: QuoteSource
    /// An option's model figures as its source computes them (TWS's tickOptionComputation); nil for other
    /// instruments and until the source sends them.
    public var greeks: OptionGreeks?
    public var delayed: Bool
    public var stale: Bool

    public init(symbol: String, source: QuoteSource, timestamp: Int64 = 0, delayed: Bool = false, stale: Bool = false) {
        self.symbol = symbol
        self.source = source
        self.timestamp = timestamp
        self.delayed = delayed
        self.stale = stale
    }

    /// The bid/ask midpoint, when both sides are quoted and not crossed.
    public var midpoint: Double? {
        guard let bid, let ask, bid > 0, ask >= bid else { return nil }
        // The sum overflows for prices near the largest double; halving first would lose the smallest ones.
        let sum = bid + ask
        return sum.isFinite ? sum / 2 : bid / 2 + ask / 2
    }

    /// Last trade, or the midpoint for instruments that quote without trading (FX).
    public var price: Double? { last ?? midpoint }

    /// Against the previous close.
    public var change: Double? {
        guard let price, let close, close != 0 else { return nil }
        return price - close
    }

    /// Against the previous close, in percent.
    public var changePercent: Double? {
        guard let change, let close, close != 0 else { return nil }
        return change / close * 100
    }

    /// True when there is at least one price to show.
    public var hasPrice: Bool { bid != nil || ask != nil || last != nil }
}
