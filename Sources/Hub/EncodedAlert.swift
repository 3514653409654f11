import HubProtocol
import TickhubCore

/// A fired alert as every shard takes it: `{"type":"alert","id","symbol","condition","level","price","time"}`,
/// encoded once on the publishing side. The level is written as the rule has it (a price, or a percentage for
/// `changePercent`), the price with the instrument's decimals, the time in ms since the epoch.
package struct EncodedAlert: Sendable {
    package let fired: AlertFired
    package let bytes: SharedBytes

    package init(_ fired: AlertFired) {
        self.fired = fired
        bytes = SharedBytes(Self.encode(fired))
    }

    package static func encode(_ fired: AlertFired) -> [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.field("type", "alert")
        w.field("id", fired.id)
        w.field("symbol", fired.symbol)
        w.field("condition", fired.condition.rawValue)
        w.field("level", fired.level)
        w.field("price", fired.price, decimals: PricePrecision.decimals(QuoteEncoding.instrument(of: fired.symbol).securityType))
        w.field("time", fired.time)
        w.endObject()
        return w.bytes
    }
}
