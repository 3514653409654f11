import Foundation
import Hub
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// The ingest's side of the feed: it sees every hub-wide event as the hub's publishing side hands it to the shards
/// (`HubRelay`), and, while this process leads, passes it on over NATS with the leader's epoch in `Tickhub-Epoch`:
/// each quote as the very bytes the hub encoded (same `seq`, same `t`) on `quote.<token>`, and its last one per
/// symbol in the quotes bucket for edges' snapshots and a successor's `seq`; the broker's status, provider health,
/// availability, source changes, holdings and balances on their own subjects.
///
/// `relay` is called under the hub's publishing lock, so it only queues; one thread of its own writes to NATS, a
/// batch at a time, and writes each symbol's last quote of a batch to the bucket once. While it does not lead,
/// nothing is sent, but the latest state is kept so that a new leader, and a new edge, get it at once.
public final class IngestFeed: HubRelay, Sendable {
    private struct Queue {
        var events: [HubEvent] = []
        var epoch: UInt64?
        var closed = false
        /// Events dropped because NATS took none for so long that the queue reached its bound.
        var overflowed = 0
    }

    /// What the latest state is, for a new leader's and a new edge's first view of it.
    private struct Latest {
        var broker: BrokerConnectionStatus?
        var health: [ProviderHealth]?
        var holdings: [String: HoldingsMessage] = [:]
        var brokerSync: [String: BrokerSyncStatus] = [:]
        var balances: [String: [AccountBalance]] = [:]
        /// Symbols that cannot be had, and why; an available symbol is not kept.
        var unavailable: [String: SymbolAvailability] = [:]
        /// Each relayed bar series as it stands (its updates taken in), for an edge that asks for it after it came.
        var charts = ChartView()
        var chartKeys: Set<BarKey> = []
    }

    /// Past this many events waiting (NATS stalled for a long while), quotes are dropped: they are superseded by
    /// the next anyway, and the bucket keeps each symbol's last one.
    static let queueBound = 200_000

    private let connection: NATSConnection
    private let subjects: RelaySubjects
    /// The quotes bucket, once bound (NATS may be away when the process starts).
    private let quotes = Mutex<NATSKeyValue?>(nil)
    private let queue = Mutex(Queue())
    private let latest = Mutex(Latest())
    private let wake = DispatchSemaphore(value: 0)
    /// The last quote bytes sent per symbol token, touched by the writing thread alone: what a release marks stale.
    nonisolated(unsafe) private var lastSent: [String: [UInt8]] = [:]
    private let metrics: IngestMetrics
    private let logger: Logger

    public init(connection: NATSConnection, subjects: RelaySubjects, metrics: IngestMetrics,
                logger: Logger = Logger(label: "tickhub.relay.feed")) {
        self.connection = connection
        self.subjects = subjects
        self.metrics = metrics
        self.logger = logger
        let thread = Thread { [self] in drain() }
        thread.name = "tickhub.relay.feed"
        thread.start()
    }

    // MARK: From the hub's publishing side

    package func relay(_ event: HubEvent) {
        remember(event)
        let post = queue.withLock { queue -> Bool in
            guard queue.epoch != nil, !queue.closed else { return false }
            if queue.events.count >= Self.queueBound, case .quote = event {
                queue.overflowed += 1
                return false
            }
            queue.events.append(event)
            return queue.events.count == 1
        }
        if post { wake.signal() }
    }

    // MARK: Leading

    /// Opens the feed in this epoch, and sends the latest state first, and the bar series this process holds (the
    /// edges' copies are the last leader's: bars it made while this one stood by may be missing from them).
    public func lead(epoch: UInt64) {
        queue.withLock { $0.epoch = epoch }
        republishState()
        // Not an empty one: a standby's desk loads what edges chart with no provider running, and an empty series would
        // wipe the edges' good copies; its bars come as the desk makes them.
        republishSeries(latest.withLock { latest in
            latest.chartKeys.filter { latest.charts.bars($0)?.isEmpty == false }.sorted { ($0.symbol, $0.interval) < ($1.symbol, $1.interval) }
        })
    }

    /// Closes the feed: what is still queued is dropped (a successor sends its own).
    public func stepDown() {
        queue.withLock { queue in
            queue.epoch = nil
            queue.events.removeAll()
        }
    }

    /// The epoch the feed is open in; nil while closed.
    public var epoch: UInt64? { queue.withLock { $0.epoch } }

    /// Sends the latest broker status, provider health, holdings, balances and unavailable symbols again (a new
    /// leader's first words; an edge that just appeared has heard none of them).
    public func republishState() {
        let state = latest.withLock { $0 }
        var events: [HubEvent] = []
        if let broker = state.broker { events.append(.brokerStatus(broker)) }
        if let health = state.health { events.append(.providerHealth(health)) }
        for (_, status) in state.brokerSync.sorted(by: { $0.key < $1.key }) { events.append(.brokerSync(status)) }
        for (broker, held) in state.holdings.sorted(by: { $0.key < $1.key }) {
            events.append(.holdings(broker: broker, held.holdings, unvalued: held.unvalued))
        }
        for (broker, list) in state.balances.sorted(by: { $0.key < $1.key }) { events.append(.balances(broker: broker, list)) }
        for (symbol, availability) in state.unavailable.sorted(by: { $0.key < $1.key }) { events.append(.availability(symbol, availability)) }
        let post = queue.withLock { queue -> Bool in
            guard queue.epoch != nil, !queue.closed, !events.isEmpty else { return false }
            let wasEmpty = queue.events.isEmpty
            queue.events.append(contentsOf: events)
            return wasEmpty
        }
        if post { wake.signal() }
    }

    /// Sends these series again as they stand (an edge newly asks for them, and they may have come long before);
    /// those not here yet go out when they come.
    public func republishSeries(_ keys: [BarKey]) {
        let events = latest.withLock { latest in
            keys.compactMap { key -> HubEvent? in
                guard let bytes = latest.charts.snapshot(key), let series = try? BarSeriesMessage(json: bytes.bytes) else { return nil }
                return .barSeries(EncodedBarSeries(key, bars: series.bars, source: series.source, lastComplete: series.lastComplete))
            }
        }
        let post = queue.withLock { queue -> Bool in
            guard queue.epoch != nil, !queue.closed, !events.isEmpty else { return false }
            let wasEmpty = queue.events.isEmpty
            queue.events.append(contentsOf: events)
            return wasEmpty
        }
        if post { wake.signal() }
    }

    /// Why each of these symbols cannot be had, for those known not to be: an interest grant's `unknown`.
    public func unavailable(among symbols: [String]) -> [String: String] {
        latest.withLock { latest in
            var reasons: [String: String] = [:]
            for symbol in symbols {
                switch latest.unavailable[symbol] {
                case .unknown?: reasons[symbol] = "no provider knows \(symbol)"
                case let .unavailable(reason)?: reasons[symbol] = reason
                default: break
                }
            }
            return reasons
        }
    }

    /// The quotes bucket, bound: each symbol's last quote is written there from now on.
    public func attach(_ bucket: NATSKeyValue) {
        quotes.withLock { $0 = bucket }
    }

    /// Each symbol's `seq` in the quotes bucket, as the last leader published it: a new leader numbers above them.
    public func lastSequences() async -> [String: UInt64] {
        guard let quotes = quotes.withLock({ $0 }) else { return [:] }
        let keys: [String]
        do { keys = try await quotes.keys() } catch {
            logger.error("could not list the quotes bucket for the sequences to continue: \(error)")
            return [:]
        }
        var sequences: [String: UInt64] = [:]
        for key in keys {
            guard let symbol = RelaySubjects.symbol(fromToken: key), let entry = try? await quotes.get(key),
                  let decoded = try? QuoteDecoding.decode(entry.value) else { continue }
            sequences[symbol] = decoded.sequence
        }
        return sequences
    }

    /// Stops the writing thread for good (the process is stopping).
    public func close() {
        queue.withLock { queue in
            queue.closed = true
            queue.events.removeAll()
        }
        wake.signal()
    }

    // MARK: The writing thread

    private func drain() {
        while true {
            wake.wait()
            let (batch, epoch, closed, overflowed) = queue.withLock { queue in
                defer {
                    queue.events.removeAll(keepingCapacity: true)
                    queue.overflowed = 0
                }
                return (queue.events, queue.epoch, queue.closed, queue.overflowed)
            }
            if closed { return }
            if overflowed > 0 { metrics.dropped(overflowed) }
            guard let epoch, !batch.isEmpty else { continue }
            send(batch, epoch: epoch)
        }
    }

    private func send(_ batch: [HubEvent], epoch: UInt64) {
        let headers = EpochGate.headers(epoch)
        var last: [String: [UInt8]] = [:], staleMarks: [String: [UInt8]] = [:]
        var quotesSent = 0, statusSent = 0, failed = 0
        for event in batch {
            if case let .released(symbols) = event {
                // Nobody wants these any more: their last quotes stay in the bucket marked stale (same seq), so
                // that an edge's snapshot of one, days later, is never shown as live.
                for symbol in symbols {
                    guard let token = RelaySubjects.token(for: symbol), let bytes = last.removeValue(forKey: token) ?? lastSent.removeValue(forKey: token),
                          var entry = try? QuoteDecoding.decode(bytes) else { continue }
                    lastSent[token] = nil
                    entry.quote.stale = true
                    staleMarks[token] = QuoteEncoding.encode(entry)
                }
                continue
            }
            guard let (subject, data) = message(for: event) else { continue }
            do {
                try connection.publish(subject, data, headers: headers)
                if case let .quote(update) = event {
                    quotesSent += 1
                    if let token = RelaySubjects.token(for: update.symbol) {
                        last[token] = data
                        staleMarks[token] = nil
                    }
                } else {
                    statusSent += 1
                }
            } catch {
                failed += 1
            }
        }
        lastSent.merge(last) { _, newer in newer }
        if let quotes = quotes.withLock({ $0 }) {
            for (token, data) in last.merging(staleMarks, uniquingKeysWith: { _, stale in stale }) {
                do { try quotes.putNoWait(token, data) } catch { failed += 1 }
            }
        }
        metrics.published(quotes: quotesSent, status: statusSent, failed: failed)
    }

    /// The subject and body an event goes out as; nil for one the feed does not carry (a database problem, a
    /// release or a feed loss concern this hub alone). Bars and alerts go as the hub encoded them for its clients.
    private func message(for event: HubEvent) -> (String, [UInt8])? {
        switch event {
        case let .quote(update):
            guard let subject = subjects.quote(update.symbol) else { return nil }
            return (subject, update.bytes.bytes)
        case let .brokerStatus(status):
            return (subjects.brokerStatus, BrokerStatusMessage(status).json)
        case let .providerHealth(health):
            return (subjects.providerHealth, ProviderHealthMessage(health).json)
        case let .brokerSync(status):
            return (subjects.brokerSync, BrokerSyncMessage(status).json)
        case let .availability(symbol, availability):
            return (subjects.availability, AvailabilityMessage(symbol: symbol, availability).json)
        case let .sourceChanged(symbol, from, to, reason):
            return (subjects.sourceChange, SourceChangeMessage(symbol: symbol, from: from, to: to, reason: reason).json)
        case let .holdings(broker, list, unvalued):
            return (subjects.holdings, HoldingsMessage(broker: broker, list, unvalued: unvalued).json)
        case let .balances(broker, list):
            return (subjects.balances, BalancesMessage(broker: broker, list).json)
        case let .barSeries(series):
            return (subjects.barSeries, series.bytes.bytes)
        case let .bar(update):
            return (subjects.bar, update.bytes.bytes)
        case let .barsReleased(keys):
            return (subjects.barsReleased, BarsReleasedMessage(keys).json)
        case let .alert(alert):
            return (subjects.alerts, alert.bytes.bytes)
        default:
            return nil
        }
    }

    private func remember(_ event: HubEvent) {
        switch event {
        case let .brokerStatus(status): latest.withLock { $0.broker = status }
        case let .providerHealth(health): latest.withLock { $0.health = health }
        case let .brokerSync(status): latest.withLock { $0.brokerSync[status.broker] = status }
        case let .holdings(broker, list, unvalued):
            latest.withLock { $0.holdings[broker] = HoldingsMessage(broker: broker, list, unvalued: unvalued) }
        case let .balances(broker, list): latest.withLock { $0.balances[broker] = list }
        case let .availability(symbol, availability):
            latest.withLock { $0.unavailable[symbol] = availability == .available ? nil : availability }
        case let .quote(update):
            // A quote is the surest sign the symbol can be had.
            if !update.entry.quote.stale { latest.withLock { _ = $0.unavailable.removeValue(forKey: update.symbol) } }
        case let .barSeries(series):
            latest.withLock { latest in
                latest.charts.store(series)
                latest.chartKeys.insert(series.key)
            }
        case let .bar(update): latest.withLock { _ = $0.charts.update(update) }
        case let .barsReleased(keys):
            latest.withLock { latest in
                for key in keys {
                    latest.charts.forget(key)
                    latest.chartKeys.remove(key)
                }
            }
        default:
            break
        }
    }
}
