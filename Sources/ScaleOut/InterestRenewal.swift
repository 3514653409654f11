import HubProtocol
import TickhubCore

/// An edge's whole symbol set, sent to the leading ingest on `interest` with the lease it asks for: the ingest
/// follows these symbols for the edge until the lease runs out unless renewed, so a dead edge's symbols are released.
/// The set is whole, not a change: a renewal lost or repeated does no harm.
public struct InterestRenewal: Equatable, Sendable {
    /// The edge's name (`nats.name`), its owner name at the ingest.
    public var edge: String
    public var symbols: [String]
    /// The bar series the edge's clients chart: the ingest follows them too (absent from an older edge: none).
    public var bars: [BarKey]
    public var leaseMilliseconds: Int64

    /// A lease from one second to ten minutes; at most this many symbols (a hub's whole budget many times over).
    public static let leases: ClosedRange<Int64> = 1_000...600_000
    public static let maximumSymbols = 100_000

    public init(edge: String, symbols: [String], bars: [BarKey] = [], leaseMilliseconds: Int64) {
        self.edge = edge
        self.symbols = symbols
        self.bars = bars
        self.leaseMilliseconds = leaseMilliseconds
    }

    public var json: [UInt8] {
        var w = JSONWriter(capacity: 64 + symbols.count * 8)
        w.beginObject()
        w.field("edge", edge)
        w.key("symbols")
        w.beginArray()
        for symbol in symbols { w.value(symbol) }
        w.endArray()
        w.key("bars")
        BarFields.write(bars, into: &w)
        w.field("leaseMilliseconds", leaseMilliseconds)
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let fields = try RelayFields(bytes, message: "interest renewal")
        edge = try fields.string("edge")
        symbols = try fields.strings("symbols")
        bars = fields.members["bars"] == nil ? [] : try BarFields.keys(fields, "bars")
        leaseMilliseconds = try fields.integer("leaseMilliseconds")
        guard !edge.isEmpty, edge.utf8.count <= 256 else { throw fields.refuse("edge", "a name of 1 to 256 bytes") }
        guard Self.leases.contains(leaseMilliseconds) else { throw fields.refuse("leaseMilliseconds", "from 1000 to 600000") }
        guard symbols.count + bars.count <= Self.maximumSymbols else { throw fields.refuse("symbols", "at most \(Self.maximumSymbols)") }
    }
}
