/// An update a publisher pushes for one instrument: only the fields it names change.
///
/// A bot that publishes trades alone must not wipe the book another message set, so an absent field keeps
/// its previous value while an explicit `null` clears it. Each field is therefore `Double??`:
/// `nil` = absent, `.some(nil)` = cleared, `.some(x)` = set.
public struct QuotePatch: Equatable, Sendable {
    public var symbol: String
    public var bid: Double??
    public var ask: Double??
    public var last: Double??
    public var bidSize: Double??
    public var askSize: Double??
    public var lastSize: Double??
    public var volume: Double??
    public var open: Double??
    public var high: Double??
    public var low: Double??
    public var close: Double??
    /// Microseconds since the Unix epoch when the publisher stamped it; nil when it did not.
    public var sourceTime: Int64?
    public var delayed: Bool?
    public var stale: Bool?

    public init(symbol: String) {
        self.symbol = symbol
    }

    /// The quote after this update: `previous` with the named fields replaced, stamped at the source time
    /// (or `receivedAt` when the publisher gave none).
    public func applied(to previous: Quote?, receivedAt: Timestamp) -> Quote {
        var quote = previous ?? Quote(symbol: symbol, source: .push)
        quote.source = .push
        func set(_ field: WritableKeyPath<Quote, Double?>, _ value: Double??) {
            if let value { quote[keyPath: field] = value }
        }
        set(\.bid, bid)
        set(\.ask, ask)
        set(\.last, last)
        set(\.bidSize, bidSize)
        set(\.askSize, askSize)
        set(\.lastSize, lastSize)
        set(\.volume, volume)
        set(\.open, open)
        set(\.high, high)
        set(\.low, low)
        set(\.close, close)
        quote.sourceTime = sourceTime
        quote.timestamp = (sourceTime.map(Timestamp.init(microseconds:)) ?? receivedAt).milliseconds
        if let last = last, last != nil { quote.lastTradeTime = quote.timestamp }
        quote.delayed = delayed ?? quote.delayed
        // A pushed update is live unless its publisher says otherwise; staleness is not inherited.
        quote.stale = stale ?? false
        return quote
    }
}
