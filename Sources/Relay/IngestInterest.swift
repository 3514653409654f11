import Foundation
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// The ingest's side of the interest protocol: each edge sends its whole symbol set with a lease on `interest`; the
/// ingest follows the symbols for the edge (standing interest owned by `edge:<name>`, so the hub counts the union
/// with its own clients and alert rules) until the lease runs out unless renewed, and then releases them, so that a
/// dead edge's IBKR lines are freed.
///
/// Every ingest keeps the ledger, the standby too, so that a new leader starts its providers with everything the
/// edges want already followed instead of waiting for their next renewals; only the leader answers (with its epoch
/// and the symbols it cannot follow).
public final class IngestInterest: Sendable {
    /// Replaces an owner's standing interest at the hub (`TickhubServer.followStanding`).
    public typealias Follow = @Sendable (_ instruments: [Instrument], _ owner: String) -> Void
    /// Replaces an owner's standing bar series at the hub (`TickhubServer.followStandingBars`).
    public typealias FollowBars = @Sendable (_ keys: Set<BarKey>, _ owner: String) -> Void

    private let connection: NATSConnection
    private let subjects: RelaySubjects
    private let follow: Follow
    private let followBars: FollowBars
    /// Series an edge newly asks for: the series as it stands is sent again, for an edge that came after it.
    private let newSeries: @Sendable ([BarKey]) -> Void
    /// Each leased edge's bar series, beside the ledger's symbols and under the same lease.
    private let bars = Mutex<[String: Set<BarKey>]>([:])
    /// The epoch to answer in; nil while this process does not lead (it then keeps the ledger but stays silent).
    private let epoch: @Sendable () -> UInt64?
    /// Why some of a renewal's symbols cannot be had (the feed knows which are unknown or unavailable).
    private let unavailable: @Sendable ([String]) -> [String: String]
    /// An edge this process had no lease for: it has heard none of the state sent before, so the state is sent again.
    private let newEdge: @Sendable (String) -> Void
    private let metrics: IngestMetrics
    private let logger: Logger
    private let ledger = Mutex(InterestLedger())
    private let parts = Mutex<(subscription: NATSSubscription?, expiry: Task<Void, Never>?)>((nil, nil))
    private static let origin = ContinuousClock.now

    public init(connection: NATSConnection, subjects: RelaySubjects, metrics: IngestMetrics,
                epoch: @escaping @Sendable () -> UInt64?, unavailable: @escaping @Sendable ([String]) -> [String: String] = { _ in [:] },
                newEdge: @escaping @Sendable (String) -> Void = { _ in }, follow: @escaping Follow,
                followBars: @escaping FollowBars = { _, _ in }, newSeries: @escaping @Sendable ([BarKey]) -> Void = { _ in },
                logger: Logger = Logger(label: "tickhub.relay.interest")) {
        self.connection = connection
        self.subjects = subjects
        self.metrics = metrics
        self.epoch = epoch
        self.unavailable = unavailable
        self.newEdge = newEdge
        self.follow = follow
        self.followBars = followBars
        self.newSeries = newSeries
        self.logger = logger
    }

    /// Answers renewals and expires leases until `stop`.
    public func start() throws(NATSError) {
        let subscription = try connection.subscribe(subjects.interest) { [self] message in handle(message) }
        let expiry = Task { [self] in await expireLeases() }
        parts.withLock { $0 = (subscription, expiry) }
    }

    public func stop() {
        let (subscription, expiry) = parts.withLock { parts in defer { parts = (nil, nil) }; return parts }
        subscription?.unsubscribe()
        expiry?.cancel()
    }

    /// The edges holding a live lease, and what each wants.
    public var leases: [String: Set<String>] {
        ledger.withLock { ledger in Dictionary(uniqueKeysWithValues: ledger.edges.map { ($0, ledger.symbols(of: $0)) }) }
    }

    // MARK: Renewals

    private func handle(_ message: NATSMessage) {
        let renewal: InterestRenewal
        do {
            renewal = try InterestRenewal(json: message.data)
        } catch {
            logger.warning("an interest renewal refused: \(error)")
            if epoch() != nil, message.reply != nil {
                try? connection.respond(to: message, [], headers: Self.refusal(error.description, epoch: epoch() ?? 0))
            }
            return
        }
        // Symbols are followed as the grammar spells them; what it refuses is answered as unknown, not followed.
        var instruments: [Instrument] = []
        var refused: [String: String] = [:]
        for symbol in renewal.symbols {
            do { instruments.append(try SymbolGrammar.parse(symbol)) } catch { refused[symbol] = error.description }
        }
        let canonical = InterestRenewal(edge: renewal.edge, symbols: instruments.map(\.symbol), leaseMilliseconds: renewal.leaseMilliseconds)
        let (known, changed, counts) = ledger.withLock { ledger in
            let known = ledger.edges.contains(canonical.edge)
            let before = ledger.symbols(of: canonical.edge)
            let change = ledger.renew(canonical, at: Self.now())
            return (known, before != ledger.symbols(of: canonical.edge) || !known, (ledger.edges.count, ledger.wanted.count, change))
        }
        metrics.interest(edges: counts.0, symbols: counts.1)
        if changed {
            follow(instruments, InterestLedger.owner(of: canonical.edge))
            if !counts.2.isEmpty {
                logger.info("edge \(canonical.edge): the edges now also want \(counts.2.added.count) and no longer \(counts.2.removed.count) symbols")
            }
        }
        if !known { newEdge(canonical.edge) }
        renewBars(Set(renewal.bars.filter { (try? SymbolGrammar.parse($0.symbol))?.symbol == $0.symbol }), of: canonical.edge)
        guard let epoch = epoch(), message.reply != nil else { return }
        let grant = InterestGrant(epoch: epoch, unknown: refused.merging(unavailable(canonical.symbols)) { first, _ in first })
        do { try connection.respond(to: message, grant.json, headers: EpochGate.headers(epoch)) } catch {
            logger.warning("could not answer edge \(canonical.edge)'s interest: \(error)")
        }
    }

    /// The edge's series follow its renewals: followed for it while its lease lives; those it newly asks for are sent
    /// again as they stand (another edge's wish may have had them followed long before).
    private func renewBars(_ keys: Set<BarKey>, of edge: String) {
        let added = bars.withLock { bars -> Set<BarKey>? in
            let before = bars[edge] ?? []
            guard before != keys else { return nil }
            bars[edge] = keys.isEmpty ? nil : keys
            return keys.subtracting(before)
        }
        guard let added else { return }
        followBars(keys, InterestLedger.owner(of: edge))
        if !added.isEmpty { newSeries(Array(added)) }
    }

    static func refusal(_ reason: String, epoch: UInt64) -> [String: String] {
        EpochGate.headers(epoch).merging([IngestControl.errorHeader: reason]) { first, _ in first }
    }

    // MARK: Expiry

    private func expireLeases() async {
        while !Task.isCancelled {
            let now = Self.now()
            let (change, next, counts) = ledger.withLock { ledger in
                let change = ledger.expire(at: now)
                return (change, ledger.nextExpiry, (ledger.edges.count, ledger.wanted.count))
            }
            if !change.isEmpty { metrics.interest(edges: counts.0, symbols: counts.1) }
            for edge in change.expired {
                logger.notice("edge \(edge)'s interest lease ran out: its symbols are released unless another edge wants them")
                follow([], InterestLedger.owner(of: edge))
                if bars.withLock({ $0.removeValue(forKey: edge) }) != nil { followBars([], InterestLedger.owner(of: edge)) }
            }
            // Woken by the next expiry, and at least every quarter second for leases renewed shorter meanwhile.
            let wait = next.map { max($0.microseconds - now.microseconds, 1_000) } ?? 250_000
            try? await Task.sleep(for: .microseconds(min(wait, 250_000)))
        }
    }

    private static func now() -> Timestamp {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return Timestamp(microseconds: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }
}
