import Foundation
import Logging
import NIOCore
import NIOPosix
import TWSProtocol
import TickhubCore

/// The simulated TWS: listener, sessions, market and faults. Every member is touched on `loop` only.
final class SimulatorEngine {
    struct Subscription {
        var sessionID: Int
        var requestID: Int
        var symbol: String
        var delayed: Bool
        /// Asked for frozen data (type 2 or 4) while the market was shut: told type 1 (or 3) once it moves again.
        var frozen = false
    }

    struct Counters {
        var connectionsAccepted = 0
        var requestsReceived = 0
        var currentTimeRequests = 0
        var ticksSent = 0
        var errorsSent = 0
        var malformedRequests = 0
    }

    let configuration: SimulatorConfiguration
    let loop: EventLoop
    let logger: Logger
    var generator: SeededGenerator
    var walks: [String: PriceWalk] = [:]
    var sessions: [Int: SimulatorSession] = [:]
    var nextSessionID = 1
    /// Streaming market-data subscriptions, in subscription order.
    var subscriptions: [Subscription] = [] {
        didSet { rotationIsCurrent = false }
    }
    /// The walks ticks go round-robin over: every subscribed symbol but options, which move with their underlying
    /// (listed here when only its options are subscribed). Rebuilt when subscriptions change.
    var rotation: [String] = []
    /// Subscribed options by underlying.
    var optionsByUnderlying: [String: [String]] = [:]
    /// Indices into `subscriptions` by symbol.
    var subscribersBySymbol: [String: [Int]] = [:]
    var rotationIsCurrent = false
    var tickCursor = 0
    /// Seconds added to the machine's clock to get the simulated one (`SimulatorConfiguration.clock`, POST /clock).
    var clockOffset: Double
    var tickCredit = 0.0
    var counters = Counters()
    /// Listed instruments, and every option a client has named, by conId.
    var listingsByConId: [Int: SymbolUniverse.Listing]
    /// The minutes each stepped walk has run through, by symbol: today's part of its historical bars.
    var minuteBars: [String: MinuteBars] = [:]
    /// Open historical-data requests (keepUpToDate ones until cancelled) and the recent ones pacing counts.
    var history = HistoryDesk()
    /// Symbols the Client Portal gateway serves (primed snapshots, streamed subscriptions): stepped like a TWS
    /// subscription's, so both sides see one market.
    var clientPortalSymbols: Set<String> = [] {
        didSet { rotationIsCurrent = false }
    }
    /// Symbols TastyTrade's DXLink clients subscribe to: stepped the same way.
    var tastyTradeSymbols: Set<String> = [] {
        didSet { rotationIsCurrent = false }
    }

    // Fault state.
    var linkDown = false
    var farmDown = false
    var competingSession = false
    var listener: Channel?
    var boundPort = 0
    var refusingUntil: NIODeadline?

    private var tickTask: RepeatedTask?
    private var housekeepingTask: RepeatedTask?
    private var lastAccountUpdate = NIODeadline.now()
    var lastTickRound = NIODeadline.now()

    init(configuration: SimulatorConfiguration, loop: EventLoop, logger: Logger) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        generator = SeededGenerator(seed: configuration.seed)
        clockOffset = configuration.clock.map { $0.timeIntervalSinceNow } ?? 0
        listingsByConId = Dictionary(
            configuration.universe.listings.values.map { ($0.conId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var ticksFlowing: Bool { !linkDown && !farmDown && !competingSession }

    /// The simulated time, Unix seconds: what decides sessions, trading days and time to expiry, and what the
    /// wire's timestamps say.
    var simulatedTime: Double { Date().timeIntervalSince1970 + clockOffset }

    var now: Int { Int(simulatedTime) }

    /// Moves the simulated clock; it runs on in real time from `date`.
    func setClock(_ date: Date) {
        clockOffset = date.timeIntervalSinceNow
        logger.notice("clock set to \(TradingCalendar.format(date)) (\(TradingCalendar.newYorkDescription(date)))")
    }

    // MARK: Lifecycle

    func start(port: Int) -> EventLoopFuture<Int> {
        let interval = TimeAmount.milliseconds(Int64(max(1, configuration.tickIntervalMilliseconds)))
        let engine = bound
        lastTickRound = .now()
        tickTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            // Scheduling adds its own delay to each round; pay out for the time that really passed.
            let now = NIODeadline.now()
            engine.value.produceTicks(elapsed: Double((now - engine.value.lastTickRound).nanoseconds) / 1e9)
            engine.value.lastTickRound = now
        }
        housekeepingTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            engine.value.everySecond()
        }
        return bind(port: port)
    }

    /// This engine, sendable into closures that run on its loop.
    var bound: NIOLoopBound<SimulatorEngine> { NIOLoopBound(self, eventLoop: loop) }

    func bind(port: Int) -> EventLoopFuture<Int> {
        let engine = bound
        return ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SessionHandler(engine: engine.value)
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(TWSServerDecoder()), handler,
                    ])
                }
            }
            .bind(host: configuration.host, port: port)
            .map { channel in
                engine.value.listener = channel
                engine.value.boundPort = channel.localAddress?.port ?? port
                return engine.value.boundPort
            }
    }

    func stop() -> EventLoopFuture<Void> {
        tickTask?.cancel()
        housekeepingTask?.cancel()
        for session in sessions.values { session.channel.close(promise: nil) }
        let closing = listener?.close() ?? loop.makeSucceededVoidFuture()
        listener = nil
        return closing.recover { _ in }
    }

    // MARK: Sessions

    func open(_ channel: Channel) -> SimulatorSession {
        let session = SimulatorSession(id: nextSessionID, channel: channel)
        nextSessionID += 1
        sessions[session.id] = session
        counters.connectionsAccepted += 1
        return session
    }

    func close(_ session: SimulatorSession) {
        sessions[session.id] = nil
        subscriptions.removeAll { $0.sessionID == session.id }
        history.close(sessionID: session.id)
    }

    /// Answers the hello with the negotiated version, or hangs up when the ranges do not meet.
    func handleHello(_ hello: ClientHello, on session: SimulatorSession) {
        // The ranges may meet below the oldest version whose layouts this simulator can write: refuse that too.
        guard let version = ServerHello.negotiate(client: hello.versions, serverMaximum: configuration.serverVersion),
              version >= ServerVersion.minimumSupported
        else {
            logger.notice("refusing client range \(hello.versions): this TWS speaks \(ServerVersion.minimumSupported)...\(configuration.serverVersion)")
            session.channel.close(promise: nil)
            return
        }
        session.serverVersion = version
        var buffer = session.channel.allocator.buffer(capacity: 64)
        ServerHello(serverVersion: version, connectionTime: Self.connectionTime()).encode(into: &buffer)
        session.channel.writeAndFlush(buffer, promise: nil)
    }

    static func connectionTime() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd HH:mm:ss"
        return formatter.string(from: Date()) + " Greenwich Mean Time"
    }

    func handleFrame(_ frame: ByteBuffer, on session: SimulatorSession) {
        guard session.serverVersion > 0 else { return }
        counters.requestsReceived += 1
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(frame, serverVersion: session.serverVersion)
        } catch {
            counters.malformedRequests += 1
            logger.warning("session \(session.id): \(error)")
            return
        }
        if configuration.pacingLimit > 0 {
            session.messagesThisSecond += 1
            if session.messagesThisSecond > configuration.pacingLimit {
                sendError(to: session, -1, 100,
                    "Max rate of messages per second has been exceeded:max=\(configuration.pacingLimit) rec=\(session.messagesThisSecond) (1)")
                session.flush()
                return
            }
        }
        handle(message, on: session)
        session.flush()
    }

    func handle(_ message: ClientMessage, on session: SimulatorSession) {
        switch message {
        case let .startAPI(start): startAPI(start, on: session)
        case let .requestMarketData(request): subscribe(request, on: session)
        case let .cancelMarketData(cancel): unsubscribe(cancel.requestID, on: session)
        case let .requestMarketDataType(request): session.marketDataType = request.marketDataType
        case let .requestContractDetails(request): contractDetails(request, on: session)
        case .requestPositions: positions(on: session)
        case .cancelPositions: break
        case let .requestAccountSummary(request): accountSummary(request, on: session)
        case let .cancelAccountSummary(cancel): session.accountSummaryRequests.remove(cancel.requestID)
        case let .requestAccountUpdates(request): accountUpdates(request, on: session)
        case let .requestAccountUpdatesMulti(request): accountUpdatesMulti(request, on: session)
        case let .requestPnL(request): session.accountPnLRequests[request.requestID] = request.account
            sendAccountPnL(request.requestID, account: request.account, on: session)
        case let .cancelPnL(cancel): session.accountPnLRequests[cancel.requestID] = nil
        case let .requestPnLSingle(request): positionPnL(request, on: session)
        case let .cancelPnLSingle(cancel): session.positionPnLRequests[cancel.requestID] = nil
        case let .requestIDs(request):
            session.send(NextValidID(orderID: session.nextOrderID))
            session.nextOrderID += max(1, request.count)
        case .requestCurrentTime:
            counters.currentTimeRequests += 1
            session.send(CurrentTime(time: now))
        case .requestManagedAccounts: session.send(ManagedAccounts(accounts: accountIDs))
        case .requestOpenOrders, .requestAllOpenOrders: session.send(OpenOrderEnd())
        case .requestAutoOpenOrders: break
        case .requestCompletedOrders: session.send(CompletedOrdersEnd())
        case let .requestExecutions(request): session.send(ExecutionDetailsEnd(requestID: request.requestID))
        case let .requestHistoricalData(request): historicalData(request, on: session)
        case let .cancelHistoricalData(cancel):
            if history.cancel(sessionID: session.id, requestID: cancel.requestID) { rotationIsCurrent = false }
        case let .requestHeadTimestamp(request): headTimestamp(request, on: session)
        case .cancelHeadTimestamp: break
        case let .unknown(id):
            logger.debug("session \(session.id): ignoring request \(id)")
        }
    }

    func startAPI(_ start: StartAPI, on session: SimulatorSession) {
        if sessions.values.contains(where: { $0 !== session && $0.clientID == start.clientID }) {
            sendError(to: session, -1, 326,
                "Unable to connect as the client id is already in use. Retry with a unique client id.")
            session.flush()
            session.channel.close(promise: nil)
            return
        }
        session.clientID = start.clientID
        session.nextOrderID = 1 + Int(generator.next() % 500)
        // The bootstrap a real TWS sends: accounts, the next order id, then one notice per data farm.
        session.send(ManagedAccounts(accounts: accountIDs))
        session.send(NextValidID(orderID: session.nextOrderID))
        let farms: [(Int, String)] = [
            (2104, "Market data farm connection is OK:usfarm"),
            (2104, "Market data farm connection is OK:cashfarm"),
            (2106, "HMDS data farm connection is OK:ushmds"),
            (2158, "Sec-def data farm connection is OK:secdefnj"),
        ]
        for (code, text) in farms where !(farmDown && code == 2104) { sendError(to: session, -1, code, text) }
        if farmDown { sendError(to: session, -1, 2103, "Market data farm connection is broken:usfarm") }
    }

    var accountIDs: [String] { configuration.portfolio.accounts.map(\.id) }

    func sendError(to session: SimulatorSession, _ requestID: Int, _ code: Int, _ text: String) {
        counters.errorsSent += 1
        session.sendError(requestID, code, text, now: now)
    }

    func broadcastNotice(_ code: Int, _ text: String) {
        for session in sessions.values where session.isStarted {
            sendError(to: session, -1, code, text)
            session.flush()
        }
    }

    // MARK: Housekeeping

    func everySecond() {
        for session in sessions.values { session.messagesThisSecond = 0 }
        sendHistoryUpdates()
        let accountUpdatesDue = NIODeadline.now() - lastAccountUpdate
            >= .milliseconds(Int64(configuration.accountUpdateInterval * 1000))
        if accountUpdatesDue { lastAccountUpdate = .now() }
        for session in sessions.values where session.isStarted {
            for (requestID, account) in session.accountPnLRequests {
                sendAccountPnL(requestID, account: account, on: session)
            }
            for (requestID, request) in session.positionPnLRequests {
                sendPositionPnL(requestID, account: request.account, conId: request.conId, on: session)
            }
            if accountUpdatesDue, let account = session.accountUpdatesAccount {
                sendAccountUpdates(account: account, on: session, downloadEnd: false)
            }
            session.flush()
        }
    }
}
