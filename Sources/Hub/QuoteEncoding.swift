import Foundation
import HubProtocol
import Synchronization
import TickhubCore

/// The wire form of a quote, shared by `/stream` and the HTTP API (see docs/protocol.md).
package enum QuoteEncoding {
    /// `now` is the moment `marketOpen` is judged at; nil for when the hub received the quote (its publication,
    /// which is encoded as it arrives). A form kept for later (a snapshot, an HTTP answer) is judged at its use.
    package static func encode(_ entry: QuoteBook.Entry, at now: Timestamp? = nil, snapshot: Bool = false) -> [UInt8] {
        var w = JSONWriter(capacity: 400)
        write(entry, at: now, snapshot: snapshot, into: &w)
        return w.bytes
    }

    package static func write(_ entry: QuoteBook.Entry, at now: Timestamp? = nil, snapshot: Bool = false, into w: inout JSONWriter) {
        let q = entry.quote
        let instrument = instrument(of: q.symbol)
        let price = PricePrecision.decimals(instrument.securityType)
        w.beginObject()
        w.field("type", "quote")
        w.field("symbol", q.symbol)
        w.field("bid", q.bid, decimals: price)
        w.field("ask", q.ask, decimals: price)
        w.field("last", q.last, decimals: price)
        w.field("bidSize", q.bidSize)
        w.field("askSize", q.askSize)
        w.field("lastSize", q.lastSize)
        w.field("volume", q.volume)
        w.field("open", q.open, decimals: price)
        w.field("high", q.high, decimals: price)
        w.field("low", q.low, decimals: price)
        w.field("close", q.close, decimals: price)
        // From the prices as written, so that the change agrees with them to the last digit and a reader of these
        // bytes (`QuoteDecoding`) works out the same one.
        let shown = asWritten(q, decimals: price)
        w.field("change", shown.change, decimals: price)
        w.field("changePercent", shown.changePercent, decimals: PricePrecision.percentDecimals)
        w.field("timestamp", q.timestamp)
        w.field("source", q.source.rawValue)
        w.field("delayed", q.delayed)
        w.field("stale", q.stale)
        w.field("marketOpen", isOpen(instrument, at: now ?? entry.receivedAt))
        if let greeks = q.greeks {
            let model = PricePrecision.modelDecimals
            w.field("impliedVolatility", greeks.impliedVolatility, decimals: model)
            w.field("delta", greeks.delta, decimals: model)
            w.field("gamma", greeks.gamma, decimals: model)
            w.field("vega", greeks.vega, decimals: model)
            w.field("theta", greeks.theta, decimals: model)
            w.field("underlyingPrice", greeks.underlyingPrice, decimals: price)
        }
        w.field("seq", Int64(entry.sequence))
        w.field("t", entry.receivedAt.microseconds)
        if let sourceTime = q.sourceTime { w.field("ts", sourceTime) }
        if snapshot { w.field("snapshot", true) }
        w.endObject()
    }

    /// The quote with the prices `change` depends on as `JSONWriter` writes them at `decimals` (the double nearest to
    /// the decimal written; a value with no digit left to round as it is, a non-finite one as absent).
    private static func asWritten(_ quote: Quote, decimals: Int) -> Quote {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        func written(_ value: Double?) -> Double? {
            guard let value, value.isFinite else { return nil }
            let units = (value * scale).rounded()
            return abs(units) < 9_007_199_254_740_992 ? units / scale : value
        }
        var shown = quote
        shown.bid = written(quote.bid)
        shown.ask = written(quote.ask)
        shown.last = written(quote.last)
        shown.close = written(quote.close)
        return shown
    }

    /// Whether the symbol's regular session is open at that moment.
    package static func isMarketOpen(_ symbol: String, at moment: Timestamp) -> Bool {
        isOpen(instrument(of: symbol), at: moment)
    }

    private static func isOpen(_ instrument: Instrument, at moment: Timestamp) -> Bool {
        MarketClock.isOpen(instrument, atMicroseconds: moment.microseconds)
    }

    /// The instrument a quoted symbol names (its kind decides the session and the price decimals), parsed once per
    /// symbol: every quote is encoded on the publishing path. The symbols are those the hub ever quoted, which the
    /// budget and the grammar bound. A symbol the grammar refuses (none that was quoted) counts as a stock.
    private static let instruments = Mutex<[String: Instrument]>([:])

    package static func instrument(of symbol: String) -> Instrument {
        if let known = instruments.withLock({ $0[symbol] }) { return known }
        let instrument = (try? SymbolGrammar.parse(symbol)) ?? .stock(symbol)
        instruments.withLock { $0[symbol] = instrument }
        return instrument
    }
}
