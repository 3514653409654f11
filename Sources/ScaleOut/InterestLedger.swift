import TickhubCore

/// The leading ingest's record of what each edge wants, with the lease each renewal bought: the union of the live
/// leases is what it follows upstream. Pure; the ingest's relay owns one and calls it from one place.
///
/// An edge's renewal replaces its set; a lease not renewed in time expires and its edge's symbols go with it (an
/// edge killed, or cut off from NATS), so that lines wanted by no one are freed. Each edge is also an owner of
/// standing interest at the hub (`followStanding(_:owner:)` with `owner(of:)`), which counts the union itself;
/// the ledger says which edges' sets changed and which symbols the union gained and lost, for the logs and tests.
public struct InterestLedger: Sendable {
    private struct Lease {
        var symbols: Set<String>
        var expiresAt: Timestamp
    }

    /// What one renewal or expiry changed.
    public struct Change: Equatable, Sendable {
        /// Symbols no edge wanted before and one wants now, and symbols no edge wants any more; sorted.
        public var added: [String] = []
        public var removed: [String] = []
        /// Edges whose leases ran out, sorted.
        public var expired: [String] = []

        public init(added: [String] = [], removed: [String] = [], expired: [String] = []) {
            self.added = added
            self.removed = removed
            self.expired = expired
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && expired.isEmpty }
    }

    private var leases: [String: Lease] = [:]
    /// How many live leases want each symbol.
    private var wanters: [String: Int] = [:]

    public init() {}

    /// The owner name an edge's standing interest goes by at the hub.
    public static func owner(of edge: String) -> String { "edge:\(edge)" }

    /// Replaces the edge's set and extends its lease from `now`.
    public mutating func renew(_ renewal: InterestRenewal, at now: Timestamp) -> Change {
        let symbols = Set(renewal.symbols)
        let before = leases[renewal.edge]?.symbols ?? []
        leases[renewal.edge] = Lease(symbols: symbols,
                                     expiresAt: Timestamp(microseconds: now.microseconds + renewal.leaseMilliseconds * 1_000))
        var change = Change()
        for symbol in symbols.subtracting(before) where count(symbol, by: 1) { change.added.append(symbol) }
        for symbol in before.subtracting(symbols) where count(symbol, by: -1) { change.removed.append(symbol) }
        change.added.sort()
        change.removed.sort()
        return change
    }

    /// Drops every edge whose lease ran out by `now`.
    public mutating func expire(at now: Timestamp) -> Change {
        var change = Change()
        for (edge, lease) in leases where lease.expiresAt <= now {
            change.expired.append(edge)
            change.removed.append(contentsOf: release(edge))
        }
        change.expired.sort()
        change.removed.sort()
        return change
    }

    /// Drops an edge at once (it said it is leaving).
    public mutating func drop(_ edge: String) -> Change {
        Change(removed: release(edge).sorted())
    }

    /// Every symbol some live lease wants.
    public var wanted: Set<String> { Set(wanters.keys) }

    /// The edges holding a lease, sorted.
    public var edges: [String] { leases.keys.sorted() }

    /// What one edge wants; empty for an edge without a lease.
    public func symbols(of edge: String) -> Set<String> { leases[edge]?.symbols ?? [] }

    /// When the next lease runs out, if any does: the time to call `expire` at.
    public var nextExpiry: Timestamp? { leases.values.map(\.expiresAt).min() }

    /// Symbols of the edge that no other edge wants, with the edge forgotten.
    private mutating func release(_ edge: String) -> [String] {
        guard let lease = leases.removeValue(forKey: edge) else { return [] }
        return lease.symbols.filter { count($0, by: -1) }
    }

    /// Counts a want up or down; true when the symbol entered or left the union.
    private mutating func count(_ symbol: String, by step: Int) -> Bool {
        let now = (wanters[symbol] ?? 0) + step
        wanters[symbol] = now > 0 ? now : nil
        return step > 0 ? now == 1 : now == 0
    }
}
