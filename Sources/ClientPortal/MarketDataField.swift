/// The market-data fields of the Client Portal Web API the hub asks for, by IBKR's numbers.
///
/// The numbers are IBKR's own table (`/iserver/marketdata/snapshot`, "Market Data Fields"), not the TWS tick
/// types: several third-party references swap 85/86/87/88 and 7059, and a swapped size reads as a plausible number,
/// so the numbers live here once and both the transport and the simulator use them.
public enum MarketDataField: Int, CaseIterable, Sendable, Hashable, Comparable {
    /// Last price; may carry a "C" prefix (the prior close, no trade yet today) or "H" (trading halted).
    case last = 31
    case symbol = 55
    case high = 70
    case low = 71
    /// Against the prior close; the hub computes its own change from last and close, so these are not applied.
    case change = 82
    case changePercent = 83
    case bid = 84
    case askSize = 85
    case ask = 86
    /// Formatted ("1.2K", "45.6M"): approximate, so only a fallback for `volumeLong`.
    case volume = 87
    case bidSize = 88
    /// The gateway's marker for how the data is delivered (like a request id); echoed, never a value.
    case deliveryMarker = 6119
    /// "Market Data Availability": real-time, delayed, frozen, frozen-delayed or not subscribed (`MarketDataAvailability`).
    case availability = 6509
    case lastSize = 7059
    case open = 7295
    /// Today's close: not the previous session's close a `Quote` keeps (that one is `priorClose`).
    case todayClose = 7296
    case delta = 7308
    case gamma = 7309
    case theta = 7310
    case vega = 7311
    /// The option's implied volatility in percent (IBKR's "Implied Vol. %").
    case impliedVolatility = 7633
    case priorClose = 7741
    /// The day's volume at full precision.
    case volumeLong = 7762

    /// The key a snapshot row or a stream message files the field under.
    public var code: String { String(rawValue) }

    public init?(code: String) {
        guard let number = Int(code) else { return nil }
        self.init(rawValue: number)
    }

    public static func < (a: MarketDataField, b: MarketDataField) -> Bool { a.rawValue < b.rawValue }

    /// What the hub subscribes to for a quote: the book, the last trade, the day's statistics, availability, and the
    /// greeks (the gateway leaves out fields that do not apply to the instrument). Well under the gateway's limit
    /// of 50 fields a request.
    public static let quoteFields: [MarketDataField] = [
        .last, .bid, .ask, .bidSize, .askSize, .lastSize, .volumeLong, .volume, .high, .low, .open, .priorClose,
        .availability, .impliedVolatility, .delta, .gamma, .theta, .vega,
    ]

    /// The gateway refuses a snapshot or subscription asking more.
    public static let maximumPerRequest = 50
}
