import Hub
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// An edge's upstream: the symbols its clients want, asked of the leading ingest over NATS. Each wanted symbol gets
/// a subscription on its quote subject and, the first time it is wanted, its last quote from the quotes bucket (the
/// subscription first, so nothing falls between the two; the bucket's copy never goes back past a live quote, its
/// `seq` sees to that), so an edge receives only the quotes its own clients want (its connection delivers every
/// subscription's messages on one shared thread, `NATSOptions.sharedDelivery`, however many symbols). The whole set
/// is renewed on `interest` with a lease every third of it, and at once when it changes; the leader's answer says the feed is followed (its epoch, what it cannot follow), its silence that no
/// one follows it.
public final class EdgeUpstream: MarketDataUpstream {
    private struct State {
        var wanted: [String: Instrument] = [:]
        /// What the leader last said it cannot follow, and why: told to the hub once, not at every renewal.
        var unknown: [String: String] = [:]
        /// The bar series the edge's clients chart, asked of the leader with the symbols.
        var bars: Set<BarKey> = []
    }

    /// The quote subscriptions, changed only under their own lock (which takes `state`'s briefly, never the reverse).
    private struct Routing {
        var running = false
        var perSymbol: [String: NATSSubscription] = [:]
    }

    private let connection: NATSConnection
    private let feed: EdgeFeed
    private let edge: String
    private let lease: Duration
    private let requestTimeout: Duration
    private let limits: NATSPendingLimits?
    private let state = Mutex(State())
    private let routing = Mutex(Routing())
    private let bucket = Mutex<NATSKeyValue?>(nil)
    private let wake = EdgeWake()
    private let loop = Mutex<Task<Void, Never>?>(nil)
    /// The renewal waiting for its answer: given up when one is asked for at once (a new leader is heard), since the
    /// one waiting went to no one.
    private let inFlight = Mutex<Task<NATSMessage, any Error>?>(nil)
    private let logger: Logger

    init(connection: NATSConnection, feed: EdgeFeed, edge: String, lease: Duration, requestTimeout: Duration,
         limits: NATSPendingLimits?, logger: Logger) {
        self.connection = connection
        self.feed = feed
        self.edge = edge
        self.lease = lease
        self.requestTimeout = requestTimeout
        self.limits = limits
        self.logger = logger
    }

    private var subjects: RelaySubjects { feed.subjects }

    // MARK: MarketDataUpstream

    public func subscribe(_ instruments: [Instrument]) async {
        let added = state.withLock { state -> [String] in
            var added: [String] = []
            for instrument in instruments where state.wanted[instrument.symbol] == nil {
                state.wanted[instrument.symbol] = instrument
                added.append(instrument.symbol)
            }
            return added
        }
        guard !added.isEmpty else { return }
        routeQuotes()
        wake.fire()
        await readLastQuotes(added)
    }

    public func unsubscribe(_ symbols: [String]) async {
        state.withLock { state in
            for symbol in symbols {
                state.wanted[symbol] = nil
                state.unknown[symbol] = nil
            }
        }
        routeQuotes()
        wake.fire()
    }

    /// A publisher's quotes have nowhere to go from an edge (its feed is the leader's alone): each is refused with
    /// where to send it instead, never taken and dropped.
    public func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Timestamp) -> [RefusedPatch] {
        patches.indices.map { RefusedPatch(position: $0, reason: "this hub is an edge, fed by the leading ingest: publish to the ingest") }
    }

    /// The symbols wanted now, sorted.
    public var wanted: [String] { state.withLock { $0.wanted.keys.sorted() } }

    // MARK: Running

    func start() {
        routing.withLock { $0.running = true }
        routeQuotes()
        let task = Task { [self] in await renewals() }
        loop.withLock { $0 = task }
    }

    func stop() {
        let task = loop.withLock { loop in defer { loop = nil }; return loop }
        task?.cancel()
        inFlight.withLock { $0 }?.cancel()
        wake.fire()
        routing.withLock { routing in
            routing.running = false
            for subscription in routing.perSymbol.values { subscription.unsubscribe() }
            routing.perSymbol.removeAll()
        }
    }

    /// NATS is back: subscriptions that could not be made are made, and the interest is renewed at once.
    func reconnected() {
        routeQuotes()
        wake.fire()
    }

    /// Renews now (the leader changed, the feed came back).
    func renewNow() {
        inFlight.withLock { $0 }?.cancel()
        wake.fire()
    }

    /// Every wanted symbol's last quote, read again (the feed is back: symbols with no update since then would stay
    /// stale until their next one, though the ingest holds a live quote).
    func readLastQuotesAgain() async {
        await readLastQuotes(wanted)
    }

    // MARK: Quotes

    /// The quote subscriptions there are now; for tests.
    var quoteSubscriptions: Int { routing.withLock { $0.perSymbol.count } }

    /// Makes the quote subscriptions match the wanted symbols. What cannot be made now (NATS away) is made when it
    /// is back (`reconnected`).
    private func routeQuotes() {
        routing.withLock { routing in
            guard routing.running else { return }
            let wanted = Set(state.withLock { $0.wanted.keys })
            for symbol in wanted where routing.perSymbol[symbol] == nil {
                guard let subject = subjects.quote(symbol) else {
                    feed.hub?.availability(symbol, .unavailable("\(symbol) cannot be carried over NATS"))
                    continue
                }
                do {
                    routing.perSymbol[symbol] = try connection.subscribe(subject, limits: limits) { [feed] in feed.quote($0) }
                } catch {
                    logger.warning("cannot subscribe to \(symbol)'s quotes now: \(error)")
                }
            }
            for (symbol, subscription) in routing.perSymbol where !wanted.contains(symbol) {
                subscription.unsubscribe()
                routing.perSymbol[symbol] = nil
            }
        }
    }

    private func readLastQuotes(_ symbols: [String]) async {
        guard !symbols.isEmpty, let bucket = await quoteBucket() else { return }
        for symbol in symbols {
            guard let token = RelaySubjects.token(for: symbol) else { continue }
            do {
                guard let entry = try await bucket.get(token) else { continue }
                // Still wanted: a symbol let go meanwhile would be put back in the book.
                guard state.withLock({ $0.wanted[symbol] != nil }) else { continue }
                // A stale last quote (one the ingest let go, or could no longer vouch for) is no snapshot: it would
                // answer a first want ahead of the live quote the leader is about to send.
                if let decoded = try? QuoteDecoding.decode(entry.value), decoded.quote.stale { continue }
                feed.deliver(entry.value)
            } catch {
                logger.info("no last quote of \(symbol) from the bucket: \(error)")
            }
        }
    }

    /// The quotes bucket, bound on first need (NATS may not be there when the edge starts).
    private func quoteBucket() async -> NATSKeyValue? {
        if let bound = bucket.withLock({ $0 }) { return bound }
        do {
            let bound = try await connection.keyValue(subjects.quoteBucket, ttl: nil, timeout: requestTimeout)
            bucket.withLock { $0 = bound }
            return bound
        } catch {
            logger.info("the quotes bucket cannot be bound now: \(error)")
            return nil
        }
    }

    // MARK: Interest

    /// Renews every third of the lease, at once on a change, and every half second while no leader answers.
    private func renewals() async {
        let every = lease / 3
        let retry = min(Duration.milliseconds(500), every)
        while !Task.isCancelled {
            let answered = await renew()
            if Task.isCancelled { return }
            await wake.wait(timeout: answered ? every : retry)
        }
    }

    /// One renewal; true when the leader answered it.
    private func renew() async -> Bool {
        guard connection.isConnected else { return false }
        let symbols = wanted
        let bars = state.withLock { $0.bars.sorted { ($0.symbol, $0.interval) < ($1.symbol, $1.interval) } }
        let renewal = InterestRenewal(edge: edge, symbols: symbols, bars: bars, leaseMilliseconds: Int64(lease / .milliseconds(1)))
        let request = Task { [connection, subjects, requestTimeout] () async throws -> NATSMessage in
            try await connection.request(subjects.interest, renewal.json, timeout: requestTimeout)
        }
        inFlight.withLock { $0 = request }
        defer { inFlight.withLock { if $0 == request { $0 = nil } } }
        let answer: NATSMessage
        do {
            answer = try await request.value
        } catch NATSError.cancelled {
            return false
        } catch NATSError.disconnected, NATSError.closed {
            // The connection's own events tell the feed.
            return false
        } catch {
            feed.leaderSilent((error as? NATSError) == .noResponders ? "no ingest is running" : "the interest renewal went unanswered (\(error))")
            return false
        }
        if let refusal = answer.headers[IngestControl.errorHeader] {
            logger.error("the leading ingest refused this edge's interest: \(refusal)")
            feed.leaderSilent("the ingest refused this edge's interest: \(refusal)")
            return false
        }
        let grant: InterestGrant
        do { grant = try InterestGrant(json: answer.data) } catch {
            feed.metrics.refused()
            feed.leaderSilent("the ingest's answer could not be read: \(error)")
            return false
        }
        guard feed.admit(grant.epoch) else { return false }
        let news = state.withLock { state in
            state.unknown = state.unknown.filter { grant.unknown[$0.key] != nil }
            return grant.unknown.filter { symbol, reason in
                guard state.wanted[symbol] != nil, state.unknown[symbol] != reason else { return false }
                state.unknown[symbol] = reason
                return true
            }
        }
        for (symbol, reason) in news.sorted(by: { $0.key < $1.key }) {
            feed.hub?.availability(symbol, reason == "no provider knows \(symbol)" ? .unknown : .unavailable(reason))
        }
        feed.leaderAnswered()
        return true
    }
}

/// The series the edge's clients chart are asked of the leader in the same renewals as the symbols, under the same
/// lease: the leader follows them for the edge, and its series and updates come on the chart subjects.
extension EdgeUpstream: ChartUpstream {
    public func follow(_ keys: [BarKey]) async {
        let added = state.withLock { state in keys.reduce(false) { state.bars.insert($1).inserted || $0 } }
        if added { wake.fire() }
    }

    public func release(_ keys: [BarKey]) async {
        let removed = state.withLock { state in keys.reduce(false) { (state.bars.remove($1) != nil) || $0 } }
        if removed { wake.fire() }
    }

    /// The series charted here now; for tests.
    public var wantedBars: Set<BarKey> { state.withLock { $0.bars } }

    /// The leader let these series go (this edge's lease ran out while it was cut off): those still charted here are
    /// asked for again at once.
    func seriesReleased(_ keys: [BarKey]) {
        guard state.withLock({ state in keys.contains { state.bars.contains($0) } }) else { return }
        renewNow()
    }
}
