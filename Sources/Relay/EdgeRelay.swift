import Hub
import HubProtocol
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// A hub run as an edge (`--role edge`): no providers, no database; what its clients want is asked of the leading
/// ingest over NATS (`EdgeUpstream`), what arrives goes to its hub (`EdgeFeed`), `/api/ibkr/*` and the HTTP routes
/// backed by the ingest's database are requests to the leader (`EdgeConnectionControl`, `EdgeHTTPRelay`).
///
/// Made before the hub (the hub takes `upstream`, `control` and `http`), started with the hub's side once it exists.
/// The NATS connection's events must be passed to `connectionChanged`: a lost link marks every quote stale at once
/// and tells the clients, and its return renews the interest, reads the last quotes again and says the feed is back.
public final class EdgeRelay: Sendable {
    public struct Settings: Sendable {
        public var subjects: RelaySubjects
        /// This edge's name (`nats.name`): its owner name at the ingest.
        public var name: String
        /// The interest lease (`nats.leaseSeconds`), renewed every third of it.
        public var lease: Duration
        /// How long a request to the leader may take before it counts as unanswered.
        public var requestTimeout: Duration
        /// The leader's lease (`nats.leaderSeconds`): its renewals are heard as the leader's heartbeat, and none for
        /// two thirds of it means the leader is gone. Nil leaves that to the interest's renewals alone.
        public var leaderTTL: Duration?
        /// How far one symbol's subscription may fall behind before NATS drops its messages (a slow edge loses its
        /// own, never slows the ingest or the other edges); nil keeps the connection's.
        public var pendingLimits: NATSPendingLimits?

        public init(subjects: RelaySubjects, name: String, lease: Duration, leaderTTL: Duration? = nil,
                    requestTimeout: Duration = .seconds(2), pendingLimits: NATSPendingLimits? = nil) {
            self.subjects = subjects
            self.name = name
            self.lease = lease
            self.leaderTTL = leaderTTL
            self.requestTimeout = requestTimeout
            self.pendingLimits = pendingLimits
        }
    }

    /// This edge as `/api/health` and tests see it.
    public struct State: Sendable, Equatable {
        public var natsConnected: Bool
        /// Why the feed is lost; nil while it is live.
        public var feedLost: String?
        /// The newest leader's epoch heard; 0 before any.
        public var epoch: UInt64
        public var symbols: Int
    }

    public let settings: Settings
    public let upstream: EdgeUpstream
    public let control: EdgeConnectionControl
    public let http: EdgeHTTPRelay
    public let metrics: EdgeMetrics
    private let connection: NATSConnection
    private let feed: EdgeFeed
    private let leaderWatch: EdgeLeaderWatch?
    private let statusSubscriptions = Mutex<[NATSSubscription]>([])
    /// Set by `stop`: the connection's closing that follows is no loss to tell anyone of.
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger

    /// How an edge's connection differs from the one the settings make: a request sent while NATS is away fails at
    /// once instead of going out late on reconnection, and one thread delivers every symbol's subscription (their
    /// handlers only queue).
    public static func connectionOptions(_ base: NATSOptions) -> NATSOptions {
        var options = base
        options.bufferWhileReconnecting = false
        options.sharedDelivery = true
        return options
    }

    public init(connection: NATSConnection, settings: Settings, logger: Logger = Logger(label: "tickhub.relay.edge")) {
        self.connection = connection
        self.settings = settings
        self.logger = logger
        let metrics = EdgeMetrics()
        self.metrics = metrics
        let later = Mutex<EdgeUpstream?>(nil)
        let feed = EdgeFeed(
            subjects: settings.subjects, metrics: metrics, natsConnected: connection.isConnected, logger: logger,
            newLeader: { _ in later.withLock { $0 }?.renewNow() },
            restored: { sameLeader in
                // A new leader has not vouched for its predecessor's last quotes in the bucket: its own come.
                guard sameLeader, let upstream = later.withLock({ $0 }) else { return }
                Task { await upstream.readLastQuotesAgain() }
            })
        self.feed = feed
        let upstream = EdgeUpstream(connection: connection, feed: feed, edge: settings.name, lease: settings.lease,
                                    requestTimeout: settings.requestTimeout, limits: settings.pendingLimits, logger: logger)
        self.upstream = upstream
        later.withLock { $0 = upstream }
        leaderWatch = settings.leaderTTL.map { ttl in
            EdgeLeaderWatch(connection: connection, subjects: settings.subjects, ttl: ttl,
                            silent: { feed.leaderSilent($0) }, heard: { upstream.renewNow() })
        }
        control = EdgeConnectionControl(connection: connection, subjects: settings.subjects, timeout: settings.requestTimeout, logger: logger)
        // Longer than the leader's own wait for its port (30 s), so that its answer, even a timeout, is the one given.
        http = EdgeHTTPRelay(connection: connection, subjects: settings.subjects, timeout: .seconds(35), logger: logger)
    }

    /// Subscribes to the feed's state and starts asking for the wanted symbols.
    public func start(_ hub: EdgeHub) throws(NATSError) {
        let control = control
        // The broker status feeds `/api/ibkr/status`'s fallback too.
        var withControl = hub
        withControl.brokerStatus = { status in
            control.heard(status)
            hub.brokerStatus(status)
        }
        feed.attach(withControl)
        var subscriptions: [NATSSubscription] = []
        do {
            for subject in [settings.subjects.statuses, settings.subjects.portfolio] {
                subscriptions.append(try connection.subscribe(subject) { [feed] in feed.status($0) })
            }
        } catch {
            for subscription in subscriptions { subscription.unsubscribe() }
            throw error
        }
        do {
            let upstream = upstream
            subscriptions.append(try connection.subscribe(settings.subjects.charts) { [feed] message in
                if let released = feed.chart(message) { upstream.seriesReleased(released) }
            })
            subscriptions.append(try connection.subscribe(settings.subjects.alerts) { [feed] in _ = feed.chart($0) })
        } catch {
            for subscription in subscriptions { subscription.unsubscribe() }
            throw error
        }
        statusSubscriptions.withLock { $0 = subscriptions }
        do { try leaderWatch?.start() } catch {
            for subscription in subscriptions { subscription.unsubscribe() }
            throw error
        }
        upstream.start()
        feed.nats(connected: connection.isConnected)
    }

    public func stop() {
        stopped.store(true, ordering: .releasing)
        upstream.stop()
        leaderWatch?.stop()
        for subscription in statusSubscriptions.withLock({ list in defer { list = [] }; return list }) { subscription.unsubscribe() }
    }

    /// The NATS connection's events, as its callback reports them.
    public func connectionChanged(_ event: NATSEvent) {
        guard !stopped.load(ordering: .acquiring) else { return }
        switch event {
        case .disconnected, .closed:
            leaderWatch?.reset()
            feed.nats(connected: false)
        case .reconnected:
            feed.nats(connected: true)
            upstream.reconnected()
        case let .slowConsumer(subject):
            metrics.slowConsumer()
            logger.warning("NATS dropped messages on \(subject) for this edge: it fell behind (slow consumer)")
        case let .error(text):
            logger.warning("NATS: \(text)")
        }
    }

    public var state: State {
        State(natsConnected: connection.isConnected, feedLost: feed.loss, epoch: feed.newestEpoch, symbols: upstream.wanted.count)
    }
}

extension EdgeRelay: ScaleOutHealth {
    /// `/api/health`'s `scaleOut`: `{"role":"edge","state":"live"|"lost","feed","reason","epoch","nats","name","symbols"}`.
    package func writeHealth(into w: inout JSONWriter) {
        let state = state
        w.field("role", "edge")
        w.field("state", state.feedLost == nil ? "live" : "lost")
        w.field("feed", state.feedLost == nil ? "live" : "lost")
        w.field("reason", state.feedLost)
        w.field("epoch", Int64(clamping: state.epoch))
        w.field("nats", state.natsConnected ? "connected" : "disconnected")
        w.field("name", settings.name)
        w.field("symbols", state.symbols)
    }
}
