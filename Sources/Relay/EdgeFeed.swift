import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// What reaches an edge from the leading ingest, on its way to the edge's hub: quotes as the ingest's bytes, the
/// broker's state, holdings and balances as their relayed messages, each let through only from the newest epoch
/// heard (`EpochGate`); and the feed's link (`EdgeLink`): when it is lost every quote goes stale at once and the
/// providers' health says why, when it is back the health the ingest last sent is shown again and each wanted
/// symbol's last quote is read again from the bucket.
final class EdgeFeed: Sendable {
    private struct State {
        var hub: EdgeHub?
        var gate = EpochGate()
        var link: EdgeLink
        /// The providers' health as the ingest last sent it: shown again when the feed is back.
        var health: [ProviderHealth]?
        /// The newest epoch when the feed was lost: the same leader when it is back, or a successor.
        var epochAtLoss: UInt64 = 0
    }

    let subjects: RelaySubjects
    let metrics: EdgeMetrics
    private let state: Mutex<State>
    private let logger: Logger
    /// Told when a message comes from an epoch newer than any heard: the leader changed.
    private let newLeader: @Sendable (UInt64) -> Void
    /// Told when the feed is back (and whether the leader is the one from before the loss), to read the wanted
    /// symbols' last quotes again.
    private let restored: @Sendable (_ sameLeader: Bool) -> Void

    init(subjects: RelaySubjects, metrics: EdgeMetrics, natsConnected: Bool, logger: Logger,
         newLeader: @escaping @Sendable (UInt64) -> Void, restored: @escaping @Sendable (Bool) -> Void) {
        self.subjects = subjects
        self.metrics = metrics
        state = Mutex(State(link: EdgeLink(natsConnected: natsConnected)))
        self.logger = logger
        self.newLeader = newLeader
        self.restored = restored
    }

    func attach(_ hub: EdgeHub) {
        state.withLock { $0.hub = hub }
    }

    var hub: EdgeHub? { state.withLock { $0.hub } }
    var newestEpoch: UInt64 { state.withLock { $0.gate.newest } }
    var loss: String? { state.withLock { $0.link.announcedLoss } }

    // MARK: Arrivals

    /// True when the message's epoch is the newest heard (which it may make the newest).
    func admit(_ headers: [String: String]) -> Bool {
        guard let epoch = EpochGate.epoch(in: headers) else {
            metrics.refused()
            return false
        }
        return admit(epoch)
    }

    /// A message from a newer leader than the last one heard (not the first leader heard) means a takeover: what
    /// the last leader published is not this one's word, so every quote is marked stale at once (clients are told
    /// the feed was lost and is back) and each symbol's next quote, the new leader's, makes it live again. When the
    /// loss was already told (the old leader's silence was noticed first), the next answer to a renewal ends it.
    func admit(_ epoch: UInt64) -> Bool {
        let (admitted, newer, takeover) = state.withLock { state -> (Bool, Bool, Bool) in
            let before = state.gate.newest
            guard state.gate.admit(epoch) else { return (false, false, false) }
            let takeover = epoch > before && before > 0 && state.link.announcedLoss == nil
            if takeover {
                state.hub?.feedLost("the feed's leader changed (epoch \(before) to \(epoch)): quotes are stale until the new leader's come")
                state.hub?.feedRestored()
            }
            return (true, epoch > before, takeover)
        }
        guard admitted else {
            metrics.droppedOldEpoch()
            return false
        }
        if newer {
            metrics.epoch(epoch)
            logger.notice("the feed is led in epoch \(epoch)\(takeover ? ": every quote is stale until the new leader's come" : "")")
            if takeover {
                metrics.feed(lost: true)
                metrics.feed(lost: false)
            }
            newLeader(epoch)
        }
        return true
    }

    /// A quote as the leader published it.
    func quote(_ message: NATSMessage) {
        guard admit(message.headers) else { return }
        metrics.received(quote: true)
        deliver(message.data)
    }

    /// A symbol's last quote from the bucket (a snapshot: it carries no epoch; its `seq` keeps it from going back).
    func deliver(_ bytes: [UInt8]) {
        guard let hub else { return }
        if case let .refused(why) = hub.quote(bytes) {
            metrics.refused()
            logger.warning("a relayed quote refused: \(why)")
        }
    }

    /// A status, availability, source change, holdings or balances message.
    func status(_ message: NATSMessage) {
        guard admit(message.headers) else { return }
        metrics.received(quote: false)
        guard let hub else { return }
        do {
            switch message.subject {
            case subjects.brokerStatus:
                hub.brokerStatus(try BrokerStatusMessage(json: message.data).status)
            case subjects.brokerSync:
                hub.brokerSync(try BrokerSyncMessage(json: message.data).status)
            case subjects.providerHealth:
                let health = try ProviderHealthMessage(json: message.data).providers
                let lost = state.withLock { state in
                    state.health = health
                    return state.link.announcedLoss
                }
                hub.providerHealth(lost.map { Self.lost(health, reason: $0) } ?? health)
            case subjects.availability:
                let relayed = try AvailabilityMessage(json: message.data)
                hub.availability(relayed.symbol, relayed.availability)
            case subjects.sourceChange:
                hub.sourceChange(try SourceChangeMessage(json: message.data))
            case subjects.holdings:
                hub.holdings(try HoldingsMessage(json: message.data))
            case subjects.balances:
                let relayed = try BalancesMessage(json: message.data)
                hub.balances(relayed.broker, relayed.balances)
            default:
                logger.debug("a message on \(message.subject) this edge does not know: passed over")
            }
        } catch {
            metrics.refused()
            logger.warning("a relayed message on \(message.subject) refused: \(error)")
        }
    }

    /// A bar series, a bar's update or a fired alert; the series a release names are returned (the edge may still
    /// want some: it asks again).
    func chart(_ message: NATSMessage) -> [BarKey]? {
        guard admit(message.headers) else { return nil }
        metrics.received(quote: false)
        guard let hub else { return nil }
        do {
            switch message.subject {
            case subjects.barSeries: hub.barSeries(try BarSeriesMessage(json: message.data))
            case subjects.bar: hub.bar(try BarUpdateMessage(json: message.data))
            case subjects.alerts: hub.alert(try AlertMessage(json: message.data).fired)
            case subjects.barsReleased: return try BarsReleasedMessage(json: message.data).keys
            default: logger.debug("a message on \(message.subject) this edge does not know: passed over")
            }
        } catch {
            metrics.refused()
            logger.warning("a relayed message on \(message.subject) refused: \(error)")
        }
        return nil
    }

    // MARK: The link

    func nats(connected: Bool) { settle { $0.nats(connected: connected) } }
    func leaderAnswered() { settle { $0.leaderAnswered() } }
    func leaderSilent(_ reason: String) { settle { $0.leaderSilent(reason) } }

    /// The hub is told under the lock, so that a loss and a recovery decided on two threads reach it in order.
    private func settle(_ step: (inout EdgeLink) -> EdgeLink.Change?) {
        let (change, sameLeader) = state.withLock { state -> (EdgeLink.Change?, Bool) in
            guard let change = step(&state.link) else { return (nil, false) }
            switch change {
            case let .lost(reason):
                state.epochAtLoss = state.gate.newest
                metrics.feed(lost: true)
                state.hub?.feedLost(reason)
                state.hub?.providerHealth(Self.lost(state.health ?? [], reason: reason))
            case .restored:
                metrics.feed(lost: false)
                state.hub?.feedRestored()
                if let health = state.health { state.hub?.providerHealth(health) }
            }
            return (change, state.gate.newest == state.epochAtLoss)
        }
        switch change {
        case let .lost(reason)?:
            logger.warning("the feed is lost: \(reason); every quote is stale until it is back")
        case .restored?:
            logger.notice("the feed is back")
            restored(sameLeader)
        case nil:
            break
        }
    }

    /// Every provider as this edge can reach it while the feed is lost: not at all, and why (the broker link when
    /// the ingest never said which providers it runs).
    static func lost(_ health: [ProviderHealth], reason: String) -> [ProviderHealth] {
        let names = health.isEmpty ? [QuoteSource.ibkr] : health.map(\.name)
        return names.map { ProviderHealth(name: $0, state: .disconnected, detail: reason, available: false) }
    }
}
