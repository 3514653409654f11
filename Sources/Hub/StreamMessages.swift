import HubProtocol
import TickhubCore

/// The hub's own messages on `/stream`, besides quotes and P&L (see docs/protocol.md).
enum StreamMessages {
    static func error(code: String, message: String, symbol: String? = nil) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", code)
        w.field("message", message)
        w.field("symbol", symbol)
        w.endObject()
        return w.bytes
    }

    /// What stands for the errors `StreamClients.sendError` folded away.
    static func suppressedErrors(_ count: Int) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", "errors_suppressed")
        w.field("message", "\(count) more errors were not sent; fix the messages that cause them")
        w.field("count", count)
        w.endObject()
        return w.bytes
    }

    static let authenticated = Array(#"{"type":"authenticated"}"#.utf8)

    static func pong(_ id: StreamRequest.PingID, now: Int64) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "pong")
        w.key("id")
        switch id {
        case let .number(n): w.value(n)
        case let .text(s): w.value(s)
        case .none: w.value(nil as String?)
        }
        w.field("t", now)
        w.endObject()
        return w.bytes
    }

    /// The broker link's state, for the `status` channel.
    static func status(_ status: BrokerConnectionStatus?) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "status")
        w.key("ibkr")
        ConnectionRoutes.write(status, into: &w)
        w.endObject()
        return w.bytes
    }

    /// A symbol's quotes come from somewhere else now, and why.
    static func sourceChange(_ symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "status")
        w.field("symbol", symbol)
        w.field("source", to?.rawValue)
        w.field("previousSource", from?.rawValue)
        w.field("reason", reason)
        w.endObject()
        return w.bytes
    }
}
