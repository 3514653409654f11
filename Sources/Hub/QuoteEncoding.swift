import HubProtocol
import TickhubCore

/// The wire form of a quote, shared by `/stream` and the HTTP API (see docs/protocol.md).
package enum QuoteEncoding {
    package static func encode(_ entry: QuoteBook.Entry, snapshot: Bool = false) -> [UInt8] {
        var w = JSONWriter(capacity: 360)
        write(entry, snapshot: snapshot, into: &w)
        return w.bytes
    }

    package static func write(_ entry: QuoteBook.Entry, snapshot: Bool = false, into w: inout JSONWriter) {
        let q = entry.quote
        w.beginObject()
        w.field("type", "quote")
        w.field("symbol", q.symbol)
        w.field("bid", q.bid)
        w.field("ask", q.ask)
        w.field("last", q.last)
        w.field("bidSize", q.bidSize)
        w.field("askSize", q.askSize)
        w.field("lastSize", q.lastSize)
        w.field("volume", q.volume)
        w.field("open", q.open)
        w.field("high", q.high)
        w.field("low", q.low)
        w.field("close", q.close)
        w.field("change", q.change.map { ($0 * 1e6).rounded() / 1e6 })
        w.field("changePercent", q.changePercent.map { ($0 * 1e4).rounded() / 1e4 })
        w.field("timestamp", q.timestamp)
        w.field("source", q.source.rawValue)
        w.field("delayed", q.delayed)
        w.field("stale", q.stale)
        w.field("seq", Int64(entry.sequence))
        w.field("t", entry.receivedAt.microseconds)
        if let sourceTime = q.sourceTime { w.field("ts", sourceTime) }
        if snapshot { w.field("snapshot", true) }
        w.endObject()
    }
}
