import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOPosix
import TWSProtocol
import TickhubCore
import TickhubMetrics

/// The IBKR provider's state: one TWS connection and everything requested over it.
/// Every member is touched on `loop` only; `IBKRProvider` is the thread-safe face.
final class IBKRSession {
    let configuration: IBKRConfiguration
    let loop: EventLoop
    let logger: Logger
    /// Lines about single symbols (refused, errors) per minute; the rest are counted into the next one.
    var symbolLog = LogAllowance(perMinute: 60)
    var machine: ConnectionStateMachine
    var listeners: [@Sendable (IBKREvent) -> Void] = []
    var generator = SystemRandomNumberGenerator()

    // Connection
    var channel: Channel?
    var clientHandler: TWSClientHandler?
    /// Bumped for every connection attempt, so callbacks from an abandoned channel are ignored.
    var generation = 0
    var serverVersion: Int?
    var isReady = false
    var connectedSince: Int64?
    var lastError: String?
    var accounts: [String] = []
    var nextRequestID = 1
    var connections = 0
    var retryTask: Scheduled<Void>?
    /// Made with the session, so that `/metrics` shows 0 before the first reconnect rather than nothing.
    let reconnects = CoreMetrics.Counter(label: MetricCatalog.ibkrReconnects)
    var handshakeTimeout: Scheduled<Void>?
    var lastPublishedState: BrokerConnectionState = .disconnected
    /// When TWS last sent anything, and when we asked it for the time because it had gone quiet: a socket that
    /// stays open while TWS sends nothing must not pass for a live connection.
    var lastHeardAt = 0.0
    var heartbeatSentAt: Double?

    // Pacing
    var bucket: TokenBucket
    var outbox = CircularBuffer<any TWSMessage>()
    var drainScheduled = false

    // Market data
    var symbols: [String: SymbolSubscription] = [:]
    /// The order lines are given in: the hub's fair-share ranking (`lineRanks`), then arrival.
    var order: [String] = []
    /// Each symbol's place in the hub's last ranking; symbols it has not ranked yet come after, by arrival.
    var lineRanks: [String: Int] = [:]
    var qualifyRequests: [Int: String] = [:]
    var marketDataRequests: [Int: String] = [:]
    var dirtyQuotes: Set<String> = []
    /// The line budget, lowered when TWS answers 101 before the budget is reached.
    var lineCap: Int
    var resumeCheck: Scheduled<Void>?

    // Historical bars
    var history: HistoryBook

    // Positions and account
    var positions: [PositionKey: IBKRPosition] = [:]
    var collectingPositions: [PositionKey: IBKRPosition]?
    var positionsDirty = false
    var accountValues: [String: AccountBalance] = [:]
    var accountSummaryRequestID: Int?
    var accountPnLRequestID: Int?
    var positionPnLRequests: [Int: PositionKey] = [:]
    var accountPnL: IBKRAccountPnL?

    // Rates
    var messagesIn = 0
    var messagesOut = 0
    var rateIn = 0.0
    var rateOut = 0.0
    var housekeeping: RepeatedTask?

    struct PositionKey: Hashable {
        var account: String
        var conId: Int
    }

    init(configuration: IBKRConfiguration, loop: EventLoop, logger: Logger) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        machine = ConnectionStateMachine(backoff: Backoff(
            initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds))
        bucket = TokenBucket(rate: configuration.pacingPerSecond, burst: 5, now: Self.seconds())
        lineCap = configuration.lineBudget
        history = HistoryBook(limits: configuration.historicalPacing)
    }

    var bound: NIOLoopBound<IBKRSession> { NIOLoopBound(self, eventLoop: loop) }

    static func seconds() -> Double { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }
    static func epochMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func emit(_ event: IBKREvent) {
        for listener in listeners { listener(event) }
    }

    // MARK: Lifecycle

    func start() {
        let session = bound
        housekeeping = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            session.value.everySecond()
        }
        if configuration.autoConnect { handle(.start) }
    }

    func shutdown() {
        housekeeping?.cancel()
        handle(.stop)
    }

    /// Feeds the state machine and carries out what it asks for.
    func handle(_ event: ConnectionStateMachine.Event) {
        let actions = machine.handle(event, jitter: Double.random(in: 0..<1, using: &generator))
        for action in actions { perform(action) }
        publishStateIfChanged()
    }

    func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .openConnection: openConnection()
        case .closeConnection: closeConnection()
        case let .scheduleRetry(seconds):
            logger.notice("reconnecting to TWS at \(configuration.host):\(configuration.port) in \(String(format: "%.1f", seconds)) s (attempt \(machine.attempt))")
            let session = bound
            retryTask = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { session.value.handle(.retryDue) }
        case .cancelRetry:
            retryTask?.cancel()
            retryTask = nil
        case .resubscribeAll: resubscribeAll()
        case .verifyResumption: scheduleResumptionCheck()
        case .markAllStale: markAllStale()
        }
    }

    func publishStateIfChanged() {
        let state = machine.state
        guard state != lastPublishedState else { return }
        lastPublishedState = state
        emit(.connection(status()))
    }

    // MARK: Connection

    func openConnection() {
        generation += 1
        let generation = generation
        let session = bound
        let clientHandler = TWSClientHandler(clientID: configuration.clientId)
        self.clientHandler = clientHandler
        let handlerBox = NIOLoopBound(clientHandler, eventLoop: loop)
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeoutSeconds * 1e9)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(TWSFrameDecoder()), handlerBox.value,
                        IBKRInboundHandler(session: session.value, generation: generation),
                    ])
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .whenComplete { result in
                let bound = session
                let session = session.value
                guard generation == session.generation else {
                    if case let .success(channel) = result { channel.close(promise: nil) }
                    return
                }
                switch result {
                case let .success(channel):
                    session.channel = channel
                    session.handshakeTimeout = session.loop.scheduleTask(
                        in: .nanoseconds(Int64(session.configuration.connectTimeoutSeconds * 1e9))
                    ) {
                        let session = bound.value
                        guard generation == session.generation, !session.isReady else { return }
                        session.lastError = "TWS accepted the connection but did not complete the API handshake within \(session.configuration.connectTimeoutSeconds) s (is a dialog waiting for you to accept it?)"
                        session.logger.warning("\(session.lastError!)")
                        channel.close(promise: nil)
                    }
                case let .failure(error):
                    session.lastError = "could not connect to TWS at \(session.configuration.host):\(session.configuration.port): \(error)"
                    session.logger.warning("\(session.lastError!)")
                    session.connectionLost(generation: generation)
                }
            }
    }

    func closeConnection() {
        generation += 1
        channel?.close(promise: nil)
        resetConnectionState()
    }

    func connectionLost(generation: Int) {
        guard generation == self.generation else { return }
        if isReady { logger.warning("TWS connection lost") }
        resetConnectionState()
        handle(.connectionLost)
    }

    /// Forgets everything that belonged to the connection; subscriptions themselves are kept.
    func resetConnectionState() {
        channel = nil
        clientHandler = nil
        isReady = false
        serverVersion = nil
        connectedSince = nil
        handshakeTimeout?.cancel()
        resumeCheck?.cancel()
        heartbeatSentAt = nil
        outbox.removeAll()
        qualifyRequests = [:]
        marketDataRequests = [:]
        positionPnLRequests = [:]
        accountSummaryRequestID = nil
        accountPnLRequestID = nil
        collectingPositions = nil
        resetHistory()
        for symbol in order where symbols[symbol]?.holdsLine == true || symbols[symbol]?.phase == .overBudget {
            symbols[symbol]?.phase = .waiting
        }
    }

    func protocolError(_ error: Error, generation: Int) {
        guard generation == self.generation else { return }
        if error is IOError {
            // A socket error (TWS reset the connection as it restarted), not something TWS sent.
            lastError = "connection to TWS failed, reconnecting: \(error)"
            logger.warning("\(lastError!)")
            channel?.close(promise: nil)
            return
        }
        lastError = "bad data from TWS, reconnecting: \(error)"
        logger.error("\(lastError!)")
        // The stream's framing can no longer be trusted: start over on a fresh socket.
        channel?.close(promise: nil)
    }

    func everySecond() {
        rateIn = Double(messagesIn)
        rateOut = Double(messagesOut)
        messagesIn = 0
        messagesOut = 0
        checkHeartbeat(now: Self.seconds())
    }

    /// After `heartbeatIdleSeconds` of silence, reqCurrentTime; no answer (nor anything else) within
    /// `heartbeatTimeoutSeconds` means the connection is stalled, and it is closed to reconnect like a lost one.
    /// A quiet market sends nothing for a while; a live TWS still answers the time at once.
    func checkHeartbeat(now: Double) {
        guard isReady, let channel else { return }
        if let sent = heartbeatSentAt {
            guard now - sent > configuration.heartbeatTimeoutSeconds else { return }
            lastError = "TWS sent nothing for \(Int(now - lastHeardAt)) s and did not answer reqCurrentTime within \(configuration.heartbeatTimeoutSeconds) s: the connection is stalled; reconnecting"
            logger.warning("\(lastError!)")
            heartbeatSentAt = nil
            channel.close(promise: nil)
        } else if now - lastHeardAt >= configuration.heartbeatIdleSeconds {
            heartbeatSentAt = now
            send(RequestCurrentTime())
        }
    }

    // MARK: Outgoing, paced

    /// Sends a request within the pacing limit; requests beyond it wait in order.
    func send(_ message: any TWSMessage) {
        guard isReady else { return }
        outbox.append(message)
        drain()
    }

    func drain() {
        guard let channel else {
            outbox.removeAll()
            return
        }
        var wrote = false
        while !outbox.isEmpty, bucket.take(now: Self.seconds()) {
            channel.write(TWSRequest(outbox.removeFirst()), promise: nil)
            messagesOut += 1
            wrote = true
        }
        if wrote { channel.flush() }
        if wrote, outbox.isEmpty, !history.pacer.waiting.isEmpty {
            // Historical requests wait for an empty outbox (see pumpHistory); a hop, not a nested call.
            let session = bound
            loop.execute { session.value.pumpHistory() }
        }
        guard !outbox.isEmpty, !drainScheduled else { return }
        drainScheduled = true
        let wait = bucket.wait(now: Self.seconds())
        let session = bound
        loop.scheduleTask(in: .nanoseconds(Int64(max(wait, 0.001) * 1e9))) {
            session.value.drainScheduled = false
            session.value.drain()
        }
    }

    func takeRequestID() -> Int {
        defer { nextRequestID += 1 }
        return nextRequestID
    }

    // MARK: Status

    func status() -> BrokerConnectionStatus {
        BrokerConnectionStatus(
            state: machine.state, host: configuration.host, port: configuration.port, clientId: configuration.clientId,
            serverVersion: serverVersion, connectedSince: connectedSince, lastError: lastError, accounts: accounts,
            linesInUse: symbols.values.filter(\.holdsLine).count, lineBudget: configuration.lineBudget,
            messagesInPerSecond: rateIn, messagesOutPerSecond: rateOut,
            unknownMessages: clientHandler?.unknownMessages ?? 0, connections: connections)
    }
}
