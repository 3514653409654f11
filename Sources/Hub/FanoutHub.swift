import HubProtocol
import TickhubCore

/// The fan-out engine: it owns the parts below and carries each event to the ones it concerns. Touched on the
/// host's service thread only. A hub with several service threads has one per thread (a shard), each with clients of
/// its own and a copy of the rest, kept alike by `HubEvent`s; what they share is upstream interest (`ShardPlace`).
///
/// - `clients`: the stream clients and what waits for each (conflated quotes, must-arrive messages, P&L);
/// - `interest`: the symbols this shard follows upstream, their idle release and the fair share of lines;
/// - `market`: the book, each quote as it was encoded once for every shard, availability and sources;
/// - `charts`: this shard's copy of each bar series the hub follows (`FanoutHub+Charts`);
/// - `pnl`: positions and balances, valued against the market;
/// - `publishers`: pushed quotes in;
/// - `exchanges`: HTTP requests answered later;
/// - `routes`: the HTTP API, as the features registered it.
///
/// Each update is encoded once; its bytes are shared by every subscriber, and a client that is behind holds at
/// most one pending update per symbol.
package final class FanoutHub {
    package let configuration: ServerConfiguration
    package unowned let host: any FanoutHost
    package let clock: WallClock
    package let place: ShardPlace
    package let metrics = Metrics()
    package let clients: StreamClients
    var interest: SymbolInterest
    package var market = MarketView()
    /// This shard's copy of each bar series the hub follows.
    package var charts = ChartView()
    package var pnl = PnLView()
    /// Why the hub's feed is lost (an edge's link to its ingest), until it is back; clients that come meanwhile are told.
    package var feedLoss: String?
    package var publishers: Publishers
    package var exchanges: HTTPExchanges
    let routes: HubRouter
    let upstream: any MarketDataUpstream
    let connectionControl: (any ConnectionControl)?
    let archive: (any HubArchive)?
    let scaleOut: (any ScaleOutHealth)?

    /// The broker link as last reported, for the `status` channel, health and 503 reasons.
    private(set) var brokerStatus: BrokerConnectionStatus?
    private var lastStatusMessage: [UInt8] = []
    /// Every provider's health, in preference order, when a provider manager is in use.
    package var providerHealth: [ProviderHealth] = []
    /// Why the latest write of each kind failed, while it has not worked since.
    package var databaseProblems: [DatabaseWrite: String] = [:]
    /// Every kind of write's failure, in one line; nil while writes of every kind work.
    package var databaseProblem: String? {
        databaseProblems.isEmpty ? nil : DatabaseWrite.allCases.compactMap { databaseProblems[$0] }.joined(separator: "; ")
    }
    let startedAt: Int64
    private var lastQuoteSave: Int64 = 0

    /// `place` is nil for a hub of one shard.
    package init(configuration: ServerConfiguration, host: any FanoutHost, wiring: HubWiring, frameHeadroom: Int,
                 clock: WallClock = .system, place: ShardPlace? = nil) {
        self.configuration = configuration
        self.host = host
        self.clock = clock
        let place = place ?? .alone(budget: configuration.maxUpstreamSymbols, upstream: wiring.upstream, charts: wiring.charts)
        self.place = place
        upstream = wiring.upstream
        connectionControl = wiring.connection
        archive = wiring.archive
        scaleOut = wiring.scaleOut
        clients = StreamClients(configuration: configuration, metrics: metrics, clock: clock, frameHeadroom: frameHeadroom, place: place)
        interest = SymbolInterest(place: place)
        publishers = Publishers(upstream: wiring.upstream, metrics: metrics)
        exchanges = HTTPExchanges(metrics: metrics)
        var routes = HubRouter.hubRoutes()
        for feature in wiring.features { feature.register(into: &routes) }
        self.routes = routes
        startedAt = clock.nowMicros()
    }

    // MARK: From upstream

    /// An update, already numbered and encoded (`HubBroadcast`): its bytes go to every subscriber as they are.
    package func publish(_ update: EncodedQuote) {
        metrics.updatesIn += 1
        market.update(update)
        let symbol = update.symbol
        if interest.held.contains(symbol) || symbol.contains(".") { pnl.dirty = true }
        answerWaitingExchanges(for: symbol)
        guard clients.isStreamed(symbol) else { return }
        clients.deliver(ClientSession.PendingUpdate(bytes: update.bytes, receivedAt: update.entry.receivedAt), for: symbol)
    }

    package func setAvailability(_ symbol: String, _ state: SymbolAvailability) {
        guard market.setAvailability(symbol, state), state != .available else { return }
        answerWaitingExchanges(for: symbol)
        // Clients that asked for the symbol (its quotes, or a series its trades form) learn why no quotes come.
        let (code, message) = MarketView.describe(symbol, state)
        for client in clients.interested(in: symbol) {
            clients.sendError(StreamMessages.error(code: code, message: message, symbol: symbol), to: client, earned: false)
        }
    }

    package func setBrokerStatus(_ status: BrokerConnectionStatus) {
        brokerStatus = status
        let message = StreamMessages.status(status)
        // Status is refreshed every few seconds; clients hear only of changes.
        guard message != lastStatusMessage else { return }
        lastStatusMessage = message
        for client in clients.all where client.channels.contains(.status) { clients.send(message, to: client) }
    }

    package func sourceChanged(_ symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String) {
        // The first source a symbol gets is not news; every change after it is.
        guard !market.setSource(symbol, to) else { return }
        let message = StreamMessages.sourceChange(symbol, from: from, to: to, reason: reason)
        for client in clients.subscribers(of: symbol) { clients.send(message, to: client) }
    }

    /// Replaces one broker's holdings (IBKR's from the provider, others' from the database). Held instruments must
    /// be quoted, and non-USD ones need their FX rate to be converted.
    package func setHoldings(_ broker: String, _ list: [Holding], unvalued: [UnvaluedHolding] = []) {
        let wanted = pnl.setHoldings(broker, list, unvalued: unvalued)
        interest.setHeld(pnl.heldSymbols)
        want(wanted, held: true)
        if pnl.positionsChanged { pushPnLIfDue(now: clock.nowMicros()) }
    }

    package func setBalances(_ broker: String, _ values: [AccountBalance]) { pnl.setBalances(broker, values, at: clock.now()) }

    // MARK: Clients

    package func open(_ connection: any Connection, publisher: Bool, awaitingToken: Bool = false) -> ClientSession {
        let client = clients.open(connection, publisher: publisher, awaitingToken: awaitingToken)
        if publisher { upstream.publisher(client.id, connected: true) }
        tellOfFeedLoss(client)
        return client
    }

    package func close(_ client: ClientSession) {
        let now = clock.nowMicros()
        // The grace period before release starts when the last subscriber goes.
        for symbol in clients.remove(client) { interest.touch(symbol, now: now) }
        closeSeries(of: client, now: now)
        if !client.symbols.isEmpty || !client.bars.isEmpty { interest.lineShareDirty = true }
        if client.isPublisher { upstream.publisher(client.id, connected: false) }
    }

    /// One complete message from a `/publish` connection.
    package func receivePublished(_ bytes: [UInt8], from publisher: ClientSession) {
        guard let error = publishers.receive(bytes, from: publisher.id, now: clock.now()) else { return }
        clients.sendError(error, to: publisher, earned: false)
    }

    package func flushWrites() { clients.flushWrites(stopping: host.isStopping) }

    package func writable(_ client: ClientSession) -> Bool { clients.writable(client) }

    // MARK: Symbols followed

    /// Follows the instruments upstream, within the budget (`SymbolInterest`); the ones refused learn why.
    func want(_ instruments: [Instrument], held: Bool = false) {
        for instrument in interest.want(instruments, held: held, now: clock.nowMicros()) {
            metrics.symbolsRefusedAtCapacity += 1
            setAvailability(instrument.symbol, .unavailable(
                "the hub follows at most \(configuration.maxUpstreamSymbols) symbols; release some and ask again"))
        }
    }

    /// Releases symbols nobody here streams, charts, holds, or asked for over HTTP within the grace period; those no other
    /// shard follows either are released upstream and forgotten (here now, on the other shards by `HubEvent`).
    func releaseIdleSymbols(now: Int64) {
        let idle = interest.idle(now: now, graceMicros: Int64(configuration.releaseIdleSymbolsSeconds * 1_000_000)) {
            clients.isStreamed($0) || clients.isCharted($0) || exchanges.isAwaiting($0)
        }
        let released = interest.release(idle)
        guard !released.isEmpty else { return }
        for symbol in released { market.forget(symbol) }
        host.tellEveryShard(.released(released))
    }

    /// The hub released the symbols upstream: their quotes, which no longer come, are forgotten, unless a client
    /// here wanted one again since (it is then followed afresh).
    func forgetReleased(_ symbols: [String]) {
        for symbol in symbols where !interest.isFollowed(symbol) { market.forget(symbol) }
    }

    // MARK: Housekeeping

    /// Every 100 ms: slow clients, HTTP deadlines, P&L pushes; every second: pings, release, persistence.
    package func housekeeping(secondElapsed: Bool) {
        let now = clock.nowMicros()
        clients.sweep(now: now)
        expireExchanges(now: now)
        interest.shareLinesIfChanged(clients.all)
        pushPnLIfDue(now: now)
        if secondElapsed {
            clients.keepAlive(now: now)
            announceSessionEdges(now: Timestamp(microseconds: now))
            releaseIdleSymbols(now: now)
            persist(now: now)
        }
    }

    /// Pushes P&L to `pnl` subscribers when quotes of held symbols moved, at most `pnlPerSecond` times a second,
    /// and at once when positions themselves changed. One encoding for every subscriber; a slow one keeps only the
    /// newest.
    func pushPnLIfDue(now: Int64) {
        let paced = now - pnl.lastPush >= Int64(1_000_000 / max(configuration.pnlPerSecond, 0.1))
        guard pnl.dirty, paced || pnl.positionsChanged else { return }
        pnl.dirty = false
        pnl.positionsChanged = false
        pnl.lastPush = now
        let subscribers = clients.all.filter { $0.channels.contains(.pnl) }
        guard !subscribers.isEmpty else { return }
        let bytes = SharedBytes(pnl.body(market, now: now, type: "pnl"))
        for client in subscribers { clients.deliverPnL(bytes, to: client) }
    }

    /// Every `snapshotSeconds`: totals for the P&L history. Every ten seconds: the book, for the next start.
    func persist(now: Int64) {
        guard let archive, place.keepsArchive else { return }
        let host = host
        if now - pnl.lastSnapshot >= Int64(configuration.snapshotSeconds * 1_000_000), !pnl.holdings.isEmpty {
            pnl.lastSnapshot = now
            let records = pnl.records(market)
            Task { host.reportDatabase(await archive.recordPnL(records), write: .pnlSnapshots) }
        }
        if now - lastQuoteSave >= 10_000_000 {
            lastQuoteSave = now
            let quotes = market.book.entries.values.filter { !$0.quote.stale && $0.quote.hasPrice }.map(\.quote)
            guard !quotes.isEmpty else { return }
            Task { host.reportDatabase(await archive.saveQuotes(quotes), write: .lastQuotes) }
        }
    }
}
