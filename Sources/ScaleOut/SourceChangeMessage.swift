import HubProtocol
import TickhubCore

/// A symbol's quotes coming from another provider, and why, as the leading ingest relays it on `status.source`:
/// the stream's source-change status under the same names.
public struct SourceChangeMessage: Equatable, Sendable {
    public var symbol: String
    public var from: QuoteSource?
    public var to: QuoteSource?
    public var reason: String

    public init(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) {
        self.symbol = symbol
        self.from = from
        self.to = to
        self.reason = reason
    }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("symbol", symbol)
        w.field("source", to?.rawValue)
        w.field("previousSource", from?.rawValue)
        w.field("reason", reason)
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "source change")
        func source(_ key: String) throws(RelayMessageError) -> QuoteSource? {
            guard let name = try f.optionalString(key) else { return nil }
            guard let known = QuoteSource(rawValue: name) else { throw f.refuse(key, "a provider the hub knows, not \(name)") }
            return known
        }
        symbol = try f.string("symbol")
        to = try source("source")
        from = try source("previousSource")
        reason = try f.string("reason")
    }
}
