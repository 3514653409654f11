import Foundation
import HubProtocol
import Store
import TickhubCore

/// A stored position as `/api/positions` spells it, out and in (docs/protocol.md, "Field names"): what a GET
/// answers can be sent back to PUT unchanged. The read-only fields (`id`, `origin`, `updatedAt`) are accepted on
/// a PUT when they equal the stored ones, and a changed `updatedAt` means someone else changed the position since
/// it was read (409). `averageCost` and `securityType`, the names before `avgCost` and `secType`, are still
/// read for one release; a request that uses them is answered with `Deprecation: true`.
struct PositionBody {
    static let writable: Set<String> = ["broker", "account", "symbol", "secType", "quantity", "avgCost", "multiplier", "currency"]
    static let readOnly: Set<String> = ["id", "origin", "updatedAt", "unvaluedReason"]
    /// Old name → the name it stands for.
    static let deprecated: [String: String] = ["averageCost": "avgCost", "securityType": "secType"]

    let object: [String: JSONValue]

    init(_ body: [UInt8]) throws(RequestError) {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body)) else {
            throw RequestError("bad_json", "the body must be a JSON object")
        }
        var known = Self.writable.union(Self.readOnly)
        known.formUnion(Self.deprecated.keys)
        if let unknown = Set(object.keys).subtracting(known).sorted().first {
            throw RequestError("unknown_field", "unknown field \"\(quoted(unknown, limit: 40))\"; allowed: \(Self.writable.union(Self.readOnly).sorted().joined(separator: ", "))")
        }
        self.object = object
    }

    /// Whether the body spells a field the old way.
    var usesDeprecatedNames: Bool { Self.deprecated.keys.contains { object[$0] != nil } }

    func number(_ key: String) throws(RequestError) -> Double? {
        switch object[key] ?? Self.deprecated.first(where: { $0.value == key }).flatMap({ object[$0.key] }) {
        case nil, .null?: return nil
        case let .number(n)?: return n
        default: throw RequestError("invalid_field", "\(key) must be a number")
        }
    }

    func text(_ key: String) throws(RequestError) -> String? {
        switch object[key] ?? Self.deprecated.first(where: { $0.value == key }).flatMap({ object[$0.key] }) {
        case nil, .null?: return nil
        case let .string(s)?: return s
        default: throw RequestError("invalid_field", "\(key) must be a string")
        }
    }

    /// The position to write; `broker` and `account` as given (required on create).
    func draft(requireAccount: Bool) throws(RequestError) -> (PositionDraft, broker: String?, account: String?) {
        for (old, new) in Self.deprecated where object[old] != nil && object[new] != nil {
            throw RequestError("invalid_field", "\(old) is the old name of \(new): give one of them")
        }
        guard let symbol = try text("symbol") else { throw RequestError("missing_symbol", "symbol is required") }
        guard let quantity = try number("quantity") else { throw RequestError("invalid_field", "quantity is required and must be a number") }
        guard let cost = try number("avgCost") else { throw RequestError("invalid_field", "avgCost is required and must be a number") }
        let broker = try text("broker"), account = try text("account")
        if requireAccount, broker?.isEmpty ?? true || account?.isEmpty ?? true {
            throw RequestError("missing_account", "broker and account are required")
        }
        if broker == "ibkr" { throw RequestError("read_only_broker", "IBKR positions come from IBKR; add them to another broker") }
        let draft = PositionDraft(
            symbol: symbol, quantity: quantity, averageCost: cost, multiplier: try number("multiplier"),
            currency: try text("currency"), securityType: try text("secType"))
        return (draft, broker, account)
    }

    /// A new position has no id, origin or time yet: the hub gives them.
    func refuseReadOnly() throws(RequestError) {
        if let given = Self.readOnly.sorted().first(where: { object[$0] != nil }) {
            throw RequestError("invalid_field", "\(given) is set by the hub; leave it out when creating a position")
        }
    }

    /// On a PUT, what cannot change must be what is stored: the id, the origin, the broker and the account.
    func checkUnchanged(_ stored: PositionRecord) throws(RequestError) {
        func same(_ key: String, _ value: JSONValue) throws(RequestError) {
            guard let given = object[key], given != value else { return }
            throw RequestError("invalid_field", "\(key) cannot change (it is \(Self.literal(value))): a position moves by deleting it and creating it anew")
        }
        try same("id", .number(Double(stored.id ?? 0)))
        try same("origin", .string(stored.origin.rawValue))
        try same("broker", .string(stored.broker))
        try same("account", .string(stored.accountId))
    }

    /// The `updatedAt` the client read, when it sent one back and the position changed since: the write would
    /// undo that change unseen.
    func staleUpdate(_ stored: PositionRecord) -> Int64? {
        guard case let .number(read)? = object["updatedAt"], read != Double(stored.updatedAt) else { return nil }
        return Int64(exactly: read) ?? -1
    }

    static func literal(_ value: JSONValue) -> String {
        switch value {
        case let .string(s): "\"\(s)\""
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        default: "\(value)"
        }
    }

    // MARK: Out

    /// The stored values as they are (shortest round-trip decimals): what was entered comes back equal, so that
    /// a GET body sent back changes nothing.
    static func write(_ r: PositionRecord, into w: inout JSONWriter) {
        w.beginObject()
        w.field("id", r.id)
        w.field("broker", r.broker)
        w.field("account", r.accountId)
        w.field("symbol", r.symbol)
        w.field("secType", r.securityType.rawValue)
        w.field("quantity", r.quantity)
        w.field("avgCost", r.averageCost)
        w.field("multiplier", r.multiplier)
        w.field("currency", r.currency)
        w.field("origin", r.origin.rawValue)
        w.field("updatedAt", r.updatedAt)
        // Only a synced position Tickhub cannot value has one: its symbol is then the broker's own.
        if let reason = r.unvaluedReason { w.field("unvaluedReason", reason) }
        w.endObject()
    }

    static func encode(_ record: PositionRecord) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        write(record, into: &w)
        return w.bytes
    }
}
