import HubProtocol
import TickhubCore

/// Whether a symbol's quotes can be had, as the leading ingest relays it on `status.availability`.
public struct AvailabilityMessage: Equatable, Sendable {
    public var symbol: String
    public var availability: SymbolAvailability

    public init(symbol: String, _ availability: SymbolAvailability) {
        self.symbol = symbol
        self.availability = availability
    }

    public var json: [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("symbol", symbol)
        switch availability {
        case .available: w.field("state", "available")
        case .unknown: w.field("state", "unknown")
        case let .unavailable(reason):
            w.field("state", "unavailable")
            w.field("reason", reason)
        }
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "availability")
        symbol = try f.string("symbol")
        switch try f.string("state") {
        case "available": availability = .available
        case "unknown": availability = .unknown
        case "unavailable": availability = .unavailable(try f.string("reason"))
        case let other: throw f.refuse("state", "available, unknown or unavailable, not \(other)")
        }
    }
}
