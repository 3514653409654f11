import Foundation
import Hub
import HubProtocol
import Logging
import LwsHost
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// A hub run as an ingest (`--role ingest`): everything `--role all` runs, plus its relay over NATS. Of several
/// ingests one leads (`IngestElection`): only the leader runs its providers and publishes the feed (`IngestFeed`),
/// numbering each symbol's quotes above the last leader's; every ingest keeps the edges' interest leases
/// (`IngestInterest`) and the leader answers them and the edges' control requests (`IngestControl`).
///
/// Made before the hub (the hub takes `feed` as its relay), started once the hub listens.
public final class IngestRelay: Sendable {
    public struct Settings: Sendable {
        public var subjects: RelaySubjects
        /// This process's name in the leader's key (`nats.name`).
        public var name: String
        /// The leader's lease (`nats.leaderSeconds`).
        public var leaderTTL: Duration

        public init(subjects: RelaySubjects, name: String, leaderTTL: Duration) {
            self.subjects = subjects
            self.name = name
            self.leaderTTL = leaderTTL
        }
    }

    /// What the ingest needs of its hub, as functions: a `TickhubServer`'s in the app, a test's own in tests.
    public struct HubSide: Sendable {
        public var follow: IngestInterest.Follow
        public var followBars: IngestInterest.FollowBars
        public var seedSequences: @Sendable ([String: UInt64]) -> Void
        public var control: (any ConnectionControl)?
        public var local: IngestControl.LocalHTTP?

        public init(follow: @escaping IngestInterest.Follow, followBars: @escaping IngestInterest.FollowBars = { _, _ in },
                    seedSequences: @escaping @Sendable ([String: UInt64]) -> Void,
                    control: (any ConnectionControl)? = nil, local: IngestControl.LocalHTTP? = nil) {
            self.follow = follow
            self.followBars = followBars
            self.seedSequences = seedSequences
            self.control = control
            self.local = local
        }

        public static func server(_ server: TickhubServer, control: (any ConnectionControl)?, local: IngestControl.LocalHTTP?) -> HubSide {
            HubSide(follow: { server.followStanding($0, owner: $1) }, followBars: { server.followStandingBars($0, owner: $1) }, seedSequences: { server.seedSequences($0) },
                    control: control, local: local)
        }
    }

    /// This ingest as `/api/health` and tests see it.
    public struct State: Sendable, Equatable {
        public var leading: Bool
        public var epoch: UInt64?
        public var natsConnected: Bool
        public var edges: Int
        public var symbols: Int
    }

    /// Added to the last leader's sequence numbers: quotes it sent after its last write to the quotes bucket (that
    /// write is not waited for) have numbers edges already passed on, and a successor's must be above them.
    public static let sequenceGap: UInt64 = 1_000

    public let settings: Settings
    public let feed: IngestFeed
    public let metrics: IngestMetrics
    private let connection: NATSConnection
    private struct Parts {
        var interest: IngestInterest?
        var control: IngestControl?
        /// Binds the buckets (again and again while NATS is away), then runs the election.
        var binding: Task<Void, Never>?
        var election: IngestElection?
    }
    private let parts = Mutex(Parts())
    private let logger: Logger

    /// The feed is closed until this process leads; nothing is asked of NATS before `start`.
    public init(connection: NATSConnection, settings: Settings, logger: Logger = Logger(label: "tickhub.relay")) {
        self.connection = connection
        self.settings = settings
        self.logger = logger
        let metrics = IngestMetrics()
        self.metrics = metrics
        feed = IngestFeed(connection: connection, subjects: settings.subjects, metrics: metrics)
    }

    /// Starts answering edges and running for the lead. `providers(true)` is awaited when this process takes the
    /// lead (after the sequences are seeded and the feed is open), `providers(false)` when it loses it (the feed is
    /// closed first): the providers must not run a moment longer than the lease.
    public func start(_ hub: HubSide, providers: @escaping @Sendable (_ run: Bool) async -> Void) throws(NATSError) {
        let feed = feed
        let interest = IngestInterest(
            connection: connection, subjects: settings.subjects, metrics: metrics, epoch: { feed.epoch },
            unavailable: { feed.unavailable(among: $0) }, newEdge: { _ in feed.republishState() }, follow: hub.follow,
            followBars: hub.followBars, newSeries: { feed.republishSeries($0) })
        let control = IngestControl(connection: connection, subjects: settings.subjects, control: hub.control, local: hub.local,
                                    epoch: { feed.epoch })
        try interest.start()
        do { try control.start() } catch {
            interest.stop()
            throw error
        }
        let binding = Task { [self, metrics, logger] in
            guard let election = await bind() else { return }
            parts.withLock { $0.election = election }
            election.start { change in
                switch change {
                case let .lead(epoch):
                    let sequences = await feed.lastSequences()
                    hub.seedSequences(sequences.mapValues { $0 &+ Self.sequenceGap })
                    logger.notice("epoch \(epoch): \(sequences.count) symbols' sequences continue from the last leader's")
                    feed.lead(epoch: epoch)
                    metrics.leading(epoch: epoch)
                    await providers(true)
                case .stepDown:
                    feed.stepDown()
                    metrics.leading(epoch: nil)
                    await providers(false)
                }
            }
        }
        parts.withLock { parts in
            parts.interest = interest
            parts.control = control
            parts.binding = binding
        }
    }

    /// The quotes bucket and the election's, bound once NATS answers (a process may start before its NATS does):
    /// tried every second until then; nil when stopped first.
    private func bind() async -> IngestElection? {
        var told = false
        while !Task.isCancelled {
            do {
                let quotes = try await connection.keyValue(settings.subjects.quoteBucket, ttl: nil)
                let election = try await IngestElection(connection: connection, subjects: settings.subjects, name: settings.name,
                                                        ttl: settings.leaderTTL)
                feed.attach(quotes)
                if told { logger.notice("NATS's key-value buckets are bound: running for the lead") }
                return election
            } catch {
                if !told { logger.warning("cannot bind NATS's key-value buckets yet (is nats-server up, with -js?): \(error); trying every second") }
                told = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return nil
    }

    /// Gives up the lead (a standby takes over at once) and stops answering.
    public func stop() async {
        let parts = parts.withLock { parts in defer { parts = Parts() }; return parts }
        parts.interest?.stop()
        parts.control?.stop()
        parts.binding?.cancel()
        await parts.binding?.value
        if let election = parts.election ?? self.parts.withLock({ $0.election }), await election.stop() {
            feed.stepDown()
            metrics.leading(epoch: nil)
        }
        feed.close()
    }

    /// Stops renewing the lease as a process that dies would (no resignation): for tests of the takeover.
    package func abandon() async {
        let parts = parts.withLock { parts in defer { parts = Parts() }; return parts }
        parts.interest?.stop()
        parts.control?.stop()
        parts.binding?.cancel()
        await parts.binding?.value
        await (parts.election ?? self.parts.withLock { $0.election })?.abandon()
        feed.stepDown()
    }

    public var state: State {
        let figures = metrics.figures
        return State(leading: feed.epoch != nil, epoch: feed.epoch, natsConnected: connection.isConnected,
                     edges: figures.edges, symbols: figures.symbols)
    }

    /// The edges holding a live lease, and what each wants.
    public var leases: [String: Set<String>] { parts.withLock { $0.interest }?.leases ?? [:] }
}

extension IngestRelay: ScaleOutHealth {
    /// `/api/health`'s `scaleOut`: `{"role":"ingest","state":"leader"|"standby","epoch","nats","edges","symbols"}`.
    package func writeHealth(into w: inout JSONWriter) {
        let state = state
        w.field("role", "ingest")
        w.field("state", state.leading ? "leader" : "standby")
        w.field("epoch", state.epoch.map { Int64(clamping: $0) })
        w.field("nats", state.natsConnected ? "connected" : "disconnected")
        w.field("name", settings.name)
        w.field("edges", state.edges)
        w.field("symbols", state.symbols)
    }
}
