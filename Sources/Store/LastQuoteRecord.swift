import GRDB
import TickhubCore

/// The last quote seen for a symbol, kept so a restart has something to show: table `lastQuote`.
///
/// There is no `stale` column: a quote read back from disk is old by definition, so `quote` always comes
/// back with `stale = true`, until the live feed replaces it.
public struct LastQuoteRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "lastQuote"

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
    public var close: Double?
    public var lastTradeTime: Int64?
    public var timestamp: Int64
    /// A `QuoteSource` raw value, kept as text so a source this build does not know does not break loading.
    public var source: String
    public var delayed: Bool

    public init(_ quote: Quote) {
        symbol = quote.symbol
        bid = quote.bid
        ask = quote.ask
        last = quote.last
        bidSize = quote.bidSize
        askSize = quote.askSize
        lastSize = quote.lastSize
        volume = quote.volume
        open = quote.open
        high = quote.high
        low = quote.low
        close = quote.close
        lastTradeTime = quote.lastTradeTime
        timestamp = quote.timestamp
        source = quote.source.rawValue
        delayed = quote.delayed
    }

    /// The stored quote, flagged stale; nil when its source is unknown to this build.
    public var quote: Quote? {
        guard let source = QuoteSource(rawValue: source) else { return nil }
        var quote = Quote(symbol: symbol, source: source, timestamp: timestamp, delayed: delayed, stale: true)
        quote.bid = bid
        quote.ask = ask
        quote.last = last
        quote.bidSize = bidSize
        quote.askSize = askSize
        quote.lastSize = lastSize
        quote.volume = volume
        quote.open = open
        quote.high = high
        quote.low = low
        quote.close = close
        quote.lastTradeTime = lastTradeTime
        return quote
    }
}
