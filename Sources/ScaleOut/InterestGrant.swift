import HubProtocol

/// The leading ingest's answer to an `InterestRenewal`: its epoch (an edge that hears a newer one knows the leader
/// changed), and the symbols of the renewal it will not follow, each with why (not a symbol, no provider knows it).
/// The rest are followed; their quotes come on their subjects.
public struct InterestGrant: Equatable, Sendable {
    public var epoch: UInt64
    public var unknown: [String: String]

    public init(epoch: UInt64, unknown: [String: String] = [:]) {
        self.epoch = epoch
        self.unknown = unknown
    }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("epoch", Int64(clamping: epoch))
        w.key("unknown")
        w.beginObject()
        for symbol in unknown.keys.sorted() { w.field(symbol, unknown[symbol]) }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let fields = try RelayFields(bytes, message: "interest grant")
        let epoch = try fields.integer("epoch")
        guard epoch >= 0 else { throw fields.refuse("epoch", "0 or more") }
        self.epoch = UInt64(epoch)
        var unknown: [String: String] = [:]
        for (symbol, reason) in try fields.object("unknown", message: "unknown")?.members ?? [:] {
            guard case let .string(text) = reason else { throw fields.refuse("unknown", "an object of strings") }
            unknown[symbol] = text
        }
        self.unknown = unknown
    }
}
