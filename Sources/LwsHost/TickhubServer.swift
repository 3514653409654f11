import CLws
import CLwsShim
import Foundation
import Hub
import HubProtocol
import Logging
import Synchronization
import TickhubCore

/// Tickhub's HTTP and WebSocket server on libwebsockets: `server.threads` shards (`LwsShard`), each a service thread
/// with a libuv loop and an lws context of its own, all listening on one port. Each serves HTTP and the clients the
/// kernel gave it; what concerns the whole hub is told to every one of them.
///
/// Other threads talk to it only through `publish…` and `stop`. An update is numbered and encoded once here
/// (`HubBroadcast`) and every shard takes the same bytes.
public final class TickhubServer: Sendable {
    public let configuration: ServerConfiguration
    private let shards: [LwsShard]
    private let broadcast: HubBroadcast
    private let interest: InterestUnion
    private let logger: Logger
    private let relayed = RelayedQuoteCounts()

    /// `relay` sees every event as it is handed to the shards (an ingest passing quotes on to edge hubs); nil costs
    /// nothing.
    package init(configuration: ServerConfiguration, wiring: HubWiring, relay: (any HubRelay)? = nil,
                 logger: Logger = Logger(label: "tickhub.server")) {
        self.configuration = configuration
        self.logger = logger
        let count = configuration.threads
        // Upstream interest is the one thing the shards share: a symbol is followed once for the whole hub.
        let interest = InterestUnion(budget: configuration.maxUpstreamSymbols, upstream: wiring.upstream, charts: wiring.charts)
        self.interest = interest
        shards = (0..<count).map { index in
            LwsShard(place: ShardPlace(index: index, count: count, interest: interest), configuration: configuration, wiring: wiring,
                     logger: logger)
        }
        broadcast = HubBroadcast(shards: shards, relay: relay)
    }

    // MARK: From any thread

    /// Hands a quote to every shard, numbered and encoded once, here.
    public func publish(_ quote: Quote) {
        broadcast.publish(quote, receivedAt: WallClock.system.now())
    }

    public func publishAvailability(_ symbol: String, _ availability: SymbolAvailability) {
        broadcast.post(.availability(symbol, availability))
    }

    public func publishIBKRStatus(_ status: BrokerConnectionStatus) {
        broadcast.post(.brokerStatus(status))
    }

    /// Replaces a broker's positions; every shard values them against its live quotes. `unvalued` are the
    /// positions it reports that Tickhub cannot value (a future): listed with their reason, in no sum.
    public func publishHoldings(broker: String, _ holdings: [Holding], unvalued: [UnvaluedHolding] = []) {
        broadcast.post(.holdings(broker: broker, holdings, unvalued: unvalued))
    }

    /// A synced broker's state, for `/api/health`, `/api/brokers` and the dashboard's positions panel.
    public func publishBrokerSync(_ status: BrokerSyncStatus) {
        broadcast.post(.brokerSync(status))
    }

    public func publishBalances(broker: String, _ values: [AccountBalance]) {
        broadcast.post(.balances(broker: broker, values))
    }

    public func publishProviderHealth(_ health: [ProviderHealth]) {
        broadcast.post(.providerHealth(health))
    }

    /// Tells the symbol's subscribers where its quotes come from now, and why.
    public func publishSourceChange(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) {
        broadcast.post(.sourceChanged(symbol: symbol, from: from, to: to, reason: reason))
    }

    // MARK: Fed by another hub

    /// A quote as another hub encoded it (an edge's, from its ingest): read once for the book, its bytes passed on
    /// as they are, with their `seq` and `t`. Bytes that are not a quote are refused and counted, one older than the
    /// symbol's newest is dropped and counted; neither reaches a client.
    @discardableResult
    public func publishEncoded(_ bytes: [UInt8]) -> RelayedQuoteOutcome {
        let entry: QuoteBook.Entry
        do {
            entry = try QuoteDecoding.decode(bytes)
        } catch {
            relayed.refused.add(1, ordering: .relaxed)
            return .refused(error.description)
        }
        guard broadcast.publishNumbered(EncodedQuote(entry: entry, bytes: bytes)) else {
            relayed.superseded.add(1, ordering: .relaxed)
            return .superseded
        }
        return .published(symbol: entry.quote.symbol, sequence: entry.sequence)
    }

    /// Quotes refused as malformed and dropped as older than one already passed on, since the start.
    public var relayedQuoteFigures: (refused: Int, superseded: Int) {
        (relayed.refused.load(ordering: .relaxed), relayed.superseded.load(ordering: .relaxed))
    }

    /// Numbers each symbol's next quote above the one given (the last the previous leader published): a hub that
    /// takes over the feed continues every `seq`.
    public func seedSequences(_ sequences: [String: UInt64]) {
        broadcast.seedSequences(sequences)
    }

    /// What feeds this hub is lost: every quote is sent again at once marked stale (same `seq`), and every stream
    /// client is told why.
    public func markAllStale(reason: String) {
        broadcast.post(.feedLost(reason))
    }

    /// The feed is back: clients are told; each symbol's next quote clears its stale mark.
    public func feedRestored() {
        broadcast.post(.feedRestored)
    }

    // MARK: Charts and alerts

    /// A whole bar series for every shard's copy, and at once for its subscribers: oldest first (others are put in
    /// order), bars that do not hold together left out, the newest 2,000 kept; encoded once, here. Publish it before
    /// its updates: a shard passes on no update of a series it has no copy of.
    public func publishBarSeries(_ key: BarKey, bars: [Bar], source: QuoteSource?, lastComplete: Bool) {
        broadcast.post(.barSeries(EncodedBarSeries(key, bars: bars, source: source, lastComplete: lastComplete)))
    }

    /// One bar's update (the forming candle, or a provider's bar correcting one), encoded once, here; a bar that
    /// does not hold together is not passed on.
    public func publishBar(_ key: BarKey, _ bar: Bar, source: QuoteSource) {
        guard bar.isConsistent else { return }
        broadcast.post(.bar(EncodedBar(key, bar, source: source)))
    }

    /// A fired price alert, to every `alerts` subscriber.
    public func publishAlert(_ fired: AlertFired) {
        broadcast.post(.alert(EncodedAlert(fired)))
    }

    /// Replaces `owner`'s standing interest: these symbols are followed upstream whatever the clients want (the alert
    /// rules' symbols, whose quotes the rules are judged on); those no longer wanted by anyone are released.
    public func followStanding(_ instruments: [Instrument], owner: String) {
        let gone = interest.setStanding(instruments, owner: owner)
        if !gone.isEmpty { broadcast.post(.released(gone)) }
    }

    /// Replaces `owner`'s standing bar series (an edge's, followed by its ingest for it): followed upstream whatever
    /// this hub's own clients chart, and released when neither they nor another owner want them.
    public func followStandingBars(_ keys: Set<BarKey>, owner: String) {
        let gone = interest.charts.setStanding(keys, owner: owner)
        if !gone.isEmpty { broadcast.post(.barsReleased(gone)) }
    }

    // MARK: Lifecycle

    /// Starts every shard listening; returns the bound port. With port 0 the first shard picks one and the others
    /// share it. A shard that cannot listen stops those already started and fails the start.
    public func start() async throws -> Int {
        lws_set_log_level(LLL_ERR | LLL_WARN, nil)
        if clws_header_pool_install(Int(LwsRequestReader.headerBufferBytes), LwsRequestReader.headerBufferSlots,
                                    LwsRequestReader.headerBuffersKept) == 0 {
            logger.info("header buffers come from the heap: their region could not be reserved")
        }
        let fleet = LwsShard.Fleet(shards: shards, broadcast: broadcast)
        var port = configuration.port
        for (index, shard) in shards.enumerated() {
            do {
                port = try await shard.start(port: port, fleet: fleet)
            } catch {
                for started in shards[..<index] { await started.stop() }
                throw error
            }
        }
        logger.notice("listening on \(configuration.url(port: port))\(shards.count > 1 ? " with \(shards.count) service threads" : "")")
        return port
    }

    /// Closes every client of every shard (1001), stops listening, and returns when every service thread is done.
    public func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for shard in shards { group.addTask { await shard.stop() } }
        }
        logger.notice("stopped")
    }

    /// What became of a quote another hub encoded.
    public enum RelayedQuoteOutcome: Equatable, Sendable {
        case published(symbol: String, sequence: UInt64)
        /// Older than the symbol's newest already passed on.
        case superseded
        /// Not a quote: why.
        case refused(String)
    }

    private final class RelayedQuoteCounts: Sendable {
        let refused = Atomic<Int>(0)
        let superseded = Atomic<Int>(0)
    }

    public enum ServerError: Error, CustomStringConvertible {
        case startFailed(String)
        public var description: String {
            switch self {
            case let .startFailed(why): why
            }
        }
    }
}
