import ClientPortal
import Foundation
import IBKR
import Logging
import NIOCore
import TWSProtocol
import TickhubCore

/// The Client Portal session and everything hung on it: the brokerage session kept (auth status, ssodh init,
/// accounts, tickle), the quote stream, the contracts looked up, the portfolio read on a schedule. One actor owns
/// it all; listeners are called from it, in order.
actor ClientPortalSession {
    struct Line {
        var instrument: Instrument
        var conid: Int?
        var status: IBKRSymbolStatus = .pending
        var quote: Quote?
        /// Sent `smd` on the current stream.
        var streaming = false
        /// When its `smd` last went out (the client's clock): sent again before the gateway's 10 minutes run out.
        var subscribedAt = 0.0
        /// Its quote was marked stale because the stream or the session went, not because the gateway called
        /// the data frozen: the next update makes it live again.
        var linkStale = false
    }

    let configuration: IBKRConfiguration
    private let settings: ClientPortalSettings
    private let client: GatewayClient
    private let loop: EventLoop
    private let logger: Logger
    private let wallClock: WallClock

    private var wanted = false
    private var state = BrokerConnectionState.disconnected
    private var lastError: String?
    private var accounts: [String] = []
    private var connectedSince: Int64?
    private var connections = 0
    private var token: String?
    private var competing = false
    /// The gateway's `serverInfo` from its latest auth status.
    private var serverName: String?
    private var serverVersion: String?
    var listeners: [@Sendable (IBKREvent) -> Void] = []

    private var lines: [String: Line] = [:]
    /// Symbols in the order lines go to them (subscription order, then `prioritize`).
    private var ranking: [String] = []
    private var byConid: [Int: String] = [:]
    private let contracts: GatewayContracts

    private var positionList: [IBKRPosition] = []
    private var balances: [String: AccountBalance] = [:]
    private var pnl: IBKRAccountPnL?
    private var portfolioAccountsRead = false

    private var stream: GatewayStream?
    private var streamGeneration = 0
    private var lastStreamMessage = 0.0
    private var keeper: Task<Void, Never>?
    /// Bumped by each connect and disconnect: a keeper from before a disconnect, still finishing a call, stops there.
    private var keeperRun = 0
    private var messagesIn = 0
    private var messagesOut = 0

    init(configuration: IBKRConfiguration, client: GatewayClient, loop: EventLoop, logger: Logger, wallClock: WallClock = .system) {
        self.configuration = configuration
        settings = configuration.clientPortal
        self.client = client
        contracts = GatewayContracts(client: client)
        self.loop = loop
        self.logger = logger
        self.wallClock = wallClock
    }

    private var gatewayURL: String {
        let literal = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "https://\(literal):\(configuration.port)"
    }

    // MARK: Status and events

    func status() -> BrokerConnectionStatus {
        var status = BrokerConnectionStatus(
            state: state, host: configuration.host, port: configuration.port, clientId: configuration.clientId,
            connectedSince: connectedSince, lastError: lastError, accounts: accounts,
            linesInUse: lines.values.filter { $0.streaming }.count, lineBudget: configuration.lineBudget,
            connections: connections, transport: IBKRTransportKind.clientPortal.rawValue)
        status.gateway = gatewayStatus()
        return status
    }

    private func gatewayStatus() -> GatewaySessionStatus {
        // The penalty's end is on the pacer's monotonic clock: as a wall-clock time for the status.
        let penaltyUntil = client.penaltyUntil.flatMap { until -> Int64? in
            let left = until - client.clock()
            return left > 0 ? wallClock.now().milliseconds + Int64((left * 1000).rounded(.up)) : nil
        }
        return GatewaySessionStatus(serverName: serverName, serverVersion: serverVersion, requestsLast10s: client.requestsLast10s,
                                    tooManyRequests: client.penalties, penaltyUntil: penaltyUntil)
    }

    func addListener(_ listener: @escaping @Sendable (IBKREvent) -> Void) { listeners.append(listener) }

    private func emit(_ event: IBKREvent) {
        for listener in listeners { listener(event) }
    }

    private func setState(_ next: BrokerConnectionState, error: String? = nil) {
        let changed = next != state || error != lastError
        state = next
        lastError = error
        if changed { emit(.connection(status())) }
        if next != .connecting { releaseConnectingWaiters() }
    }

    /// Callers waiting for the session to be opened (a chart asked for at start or as Connect is pressed), each
    /// with its own deadline.
    private var connectingWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    /// The session's state once it is no longer being opened, or at `deadline`, whichever comes first.
    func stateOnceOpened(by deadline: ContinuousClock.Instant) async -> BrokerConnectionState {
        guard state == .connecting, ContinuousClock.now < deadline else { return state }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline)
            await self?.releaseConnectingWaiter(id)
        }
        await withCheckedContinuation { connectingWaiters[id] = $0 }
        timer.cancel()
        return state
    }

    private func releaseConnectingWaiter(_ id: Int) {
        connectingWaiters.removeValue(forKey: id)?.resume()
    }

    private func releaseConnectingWaiters() {
        let waiting = connectingWaiters.values
        connectingWaiters = [:]
        for waiter in waiting { waiter.resume() }
    }

    func quote(_ symbol: String) -> Quote? { lines[symbol]?.quote }
    func symbolStatus(_ symbol: String) -> IBKRSymbolStatus? { lines[symbol]?.status }
    func positions() -> [IBKRPosition] { positionList }
    func accountValues() -> [AccountBalance] { Array(balances.values) }
    func accountPnL() -> IBKRAccountPnL? { pnl }

    // MARK: Commands

    func start() {
        if configuration.autoConnect { connect() }
    }

    func connect() {
        wanted = true
        guard keeper == nil else { return }
        keeperRun += 1
        let run = keeperRun
        // Connecting from this moment, not from when the keeper's task first runs: a chart asked for now waits
        // for the session instead of finding it down.
        setState(.connecting, error: lastError)
        keeper = Task { await self.keep(run) }
    }

    func disconnect() {
        wanted = false
        keeperRun += 1
        keeper?.cancel()
        keeper = nil
        lose(nil)
        setState(.disconnected)
    }

    func shutdown() async {
        disconnect()
    }

    func subscribe(_ instruments: [Instrument]) {
        for instrument in instruments where lines[instrument.symbol] == nil {
            lines[instrument.symbol] = Line(instrument: instrument)
            ranking.append(instrument.symbol)
            emit(.symbolStatus(symbol: instrument.symbol, .pending))
        }
        serveLines()
    }

    func unsubscribe(_ symbols: [String]) {
        for symbol in symbols {
            guard let line = lines.removeValue(forKey: symbol) else { continue }
            ranking.removeAll { $0 == symbol }
            if let conid = line.conid {
                byConid[conid] = nil
                if line.streaming { send(.unsubscribe(conid: conid)) }
            }
        }
        serveLines()
    }

    func prioritize(_ symbols: [String]) {
        let first = symbols.filter { lines[$0] != nil }
        let set = Set(first)
        ranking = first + ranking.filter { !set.contains($0) }
        serveLines()
    }

    // MARK: Session keeping

    /// Opens the session and keeps it until `disconnect()`: on any loss (not logged in, gateway restarted or down
    /// for the night, the penalty box) it says why in the status and tries again after a backoff, or after the
    /// penalty.
    private func keep(_ run: Int) async {
        let backoff = Backoff(initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds)
        var attempt = 0
        while wanted, run == keeperRun, !Task.isCancelled {
            do throws(GatewayError) {
                try await establish(run)
                attempt = 0
                try await maintain(run)
            } catch {
                guard wanted, run == keeperRun, !Task.isCancelled else { return }
                attempt += 1
                lose(error)
                var delay = backoff.delay(attempt: attempt, unit: Double.random(in: 0..<1))
                let reason: String
                switch error {
                case .notAuthenticated:
                    // The hub cannot do IBKR's two-factor login: someone has to, in a browser.
                    reason = "not logged in at the Client Portal gateway: log in at \(gatewayURL) in a browser (the hub cannot do IBKR's two-factor login)"
                case .competing:
                    reason = Self.competingMessage
                    competing = true
                    logger.notice("Client Portal: \(reason)")
                    setState(.degraded([.competingSession]), error: reason)
                    do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return }
                    continue
                case let .penalized(until):
                    delay = max(delay, until - client.clock())
                    reason = "IBKR's gateway answered 429 (too many requests): nothing is sent for \(Int(delay.rounded())) s, IBKR's penalty box"
                case let .unreachable(detail):
                    reason = "the Client Portal gateway at \(gatewayURL) cannot be reached: \(detail)"
                case let .status(code, body):
                    reason = "the Client Portal gateway answered \(code): \(body)"
                case let .malformed(detail):
                    reason = "the Client Portal gateway's answer could not be read: \(detail)"
                case let .configuration(detail):
                    reason = detail
                }
                logger.notice("Client Portal: \(reason)")
                setState(.reconnecting(attempt: attempt, delaySeconds: delay), error: reason)
                do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return }
            }
        }
    }

    /// Auth status, the brokerage session opened when the gateway is logged in but has none, the accounts (which
    /// the gateway wants asked before market data), then a tickle for the stream's token.
    private func establish(_ run: Int) async throws(GatewayError) {
        if state != .connecting { setState(.connecting, error: lastError) }
        var auth = try await authStatus()
        // Another platform holding the brokerage session is the user's to end (as with TWS's 10197): the hub
        // waits, degraded, rather than take it over.
        if auth.competing, !auth.authenticated { throw .competing }
        if !auth.authenticated, auth.connected {
            _ = try await client.call(.ssodhInit, .POST, path: GatewayPath.ssodhInit, body: #"{"publish":true,"compete":true}"#)
            // The brokerage session takes a moment to open: a few looks, a second apart.
            for _ in 0..<5 {
                auth = try await authStatus()
                if auth.authenticated || !auth.connected { break }
                do { try await Task.sleep(for: .seconds(1)) } catch { break }
            }
        }
        guard auth.authenticated else { throw .notAuthenticated }
        let brokerage = try await decode { try BrokerageAccounts.decode(try await client.call(.iserverAccounts, path: GatewayPath.brokerageAccounts)) }
        accounts = brokerage.accounts
        let answer = try await tickle()
        token = answer.session
        competing = auth.competing || (answer.authStatus?.competing ?? false)
        connections += 1
        connectedSince = wallClock.now().milliseconds
        portfolioAccountsRead = false
        // A disconnect while the calls above were under way wins.
        guard wanted, run == keeperRun else { throw .unreachable("disconnected") }
        ready()
    }

    static let competingMessage =
        "another session holds this username's brokerage session (TWS, the mobile app or a second gateway): no quotes until it ends"

    private func ready() {
        if competing {
            setState(.degraded([.competingSession]), error: Self.competingMessage)
        } else {
            setState(.ready)
        }
    }

    private func authStatus() async throws(GatewayError) -> AuthStatus {
        let auth = try await decode { try AuthStatus.decode(try await client.call(.authStatus, .POST, path: GatewayPath.authStatus)) }
        if auth.serverName != nil || auth.serverVersion != nil {
            serverName = auth.serverName
            serverVersion = auth.serverVersion
        }
        return auth
    }

    private func tickle() async throws(GatewayError) -> TickleAnswer {
        try await decode { try TickleAnswer.decode(try await client.call(.tickle, .POST, path: GatewayPath.tickle)) }
    }

    /// Runs `read`, its decoding failures as `.malformed`.
    private func decode<T>(_ read: () async throws -> T) async throws(GatewayError) -> T {
        do {
            return try await read()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    /// While the session holds: the stream open, contracts looked up, the tickle and the portfolio on schedule.
    /// Returns only by throwing what ended the session.
    private func maintain(_ run: Int) async throws(GatewayError) {
        var nextTickle = client.clock() + settings.tickleSeconds
        var nextPortfolio = client.clock()
        var nextKeepAlive = client.clock()
        var streamAttempt = 0
        let backoff = Backoff(initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds)
        var nextStreamTry = 0.0
        while wanted, run == keeperRun, !Task.isCancelled {
            let now = client.clock()
            if stream == nil || stream?.isOpen == false || now - lastStreamMessage > settings.streamSilenceSeconds {
                if now >= nextStreamTry {
                    do {
                        try await openStream()
                        streamAttempt = 0
                    } catch {
                        streamAttempt += 1
                        nextStreamTry = now + backoff.delay(attempt: streamAttempt, unit: Double.random(in: 0..<1))
                        logger.info("Client Portal stream: \(error)")
                        // A stream that cannot open may mean the session is gone: the tickle below tells.
                        nextTickle = min(nextTickle, now)
                    }
                }
            }
            try await lookUpContracts()
            renewSubscriptions(now: now)
            if now >= nextKeepAlive, stream != nil {
                send(.keepAlive)
                nextKeepAlive = now + 25
            }
            if now >= nextTickle {
                let answer = try await tickle()
                token = answer.session
                if let auth = answer.authStatus {
                    guard auth.authenticated else { throw auth.competing ? .competing : .notAuthenticated }
                    if auth.competing != competing {
                        competing = auth.competing
                        ready()
                    }
                }
                nextTickle = now + settings.tickleSeconds
            }
            if now >= nextPortfolio {
                try await readPortfolio()
                nextPortfolio = client.clock() + settings.portfolioSeconds
            }
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
        }
    }

    /// Drops what the session carried: the stream closed, every quote marked stale (once), lines unsent.
    private func lose(_ error: GatewayError?) {
        stream?.close()
        stream = nil
        streamGeneration += 1
        connectedSince = nil
        markLinesStale()
        for (symbol, line) in lines where line.status == .streaming {
            lines[symbol]?.status = .pending
            emit(.symbolStatus(symbol: symbol, .pending))
        }
    }

    /// Every line off the stream, and its quote marked stale (once): nothing it shows is live any more.
    private func markLinesStale() {
        for (symbol, var line) in lines {
            line.streaming = false
            if var quote = line.quote, !quote.stale {
                quote.stale = true
                line.quote = quote
                line.linkStale = true
                emit(.quote(quote))
            }
            lines[symbol] = line
        }
    }

    // MARK: The stream

    private func openStream() async throws {
        guard let token else { throw GatewayError.notAuthenticated }
        stream?.close()
        stream = nil
        streamGeneration += 1
        let generation = streamGeneration
        for symbol in lines.keys { lines[symbol]?.streaming = false }
        // Frames are handed over in order through one stream and read by one task, so updates apply in the order
        // the gateway sent them.
        let (texts, feed) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(100_000))
        Task {
            for await text in texts { self.received(text, generation: generation) }
            self.closed(generation: generation)
        }
        let opened: GatewayStream
        do {
            opened = try await GatewayStream.open(
                host: client.host, port: client.port, tls: client.tls, token: token, on: loop,
                onText: { feed.yield($0) }, onClose: { feed.finish() })
        } catch {
            feed.finish()
            throw error
        }
        guard generation == streamGeneration, wanted else {
            opened.close()
            return
        }
        stream = opened
        lastStreamMessage = client.clock()
        serveLines()
    }

    private func closed(generation: Int) {
        guard generation == streamGeneration else { return }
        stream = nil
        markLinesStale()
    }

    private func send(_ command: StreamCommand) {
        guard let stream else { return }
        messagesOut += 1
        stream.send(command.text)
    }

    private func received(_ text: String, generation: Int) {
        guard generation == streamGeneration else { return }
        lastStreamMessage = client.clock()
        messagesIn += 1
        switch StreamMessage.decode(Data(text.utf8)) {
        case let .marketData(update):
            guard let symbol = byConid[update.conid], var line = lines[symbol] else { return }
            if let availability = update.availability, !availability.isSubscribed {
                // As TWS's 354: the account has no data for it; a fallback should serve it.
                line.status = .ended(.notEntitled(delayedAvailable: false))
                if line.streaming { send(.unsubscribe(conid: update.conid)) }
                line.streaming = false
                lines[symbol] = line
                emit(.symbolStatus(symbol: symbol, line.status))
                serveLines()
                return
            }
            var quote = line.quote ?? Quote(symbol: symbol, source: .ibkr)
            let now = wallClock.now().milliseconds
            // Stamped when the hub got it, as TWS's ticks are: ages are judged on the hub's clock, and `_updated`
            // is the gateway's (another process, maybe another machine; a simulator's market time).
            var received = update
            received.updated = nil
            var changed = quote.apply(received, receivedAt: now)
            // Fresh data on an open stream: live again, unless the gateway itself calls it frozen.
            if line.linkStale, !update.isPriming {
                line.linkStale = false
                let frozen = update.availability?.isFrozen ?? false
                if quote.stale != frozen {
                    quote.stale = frozen
                    changed = true
                }
            }
            if line.status != .streaming, !update.isPriming {
                line.status = .streaming
                emit(.symbolStatus(symbol: symbol, .streaming))
            }
            line.quote = quote
            lines[symbol] = line
            if changed { emit(.quote(quote)) }
        case let .authStatus(auth):
            if !auth.authenticated {
                // The tickle finds it too; the stream's word is sooner.
                token = nil
                stream?.close()
                if auth.competing, !competing {
                    competing = true
                    ready()
                }
            } else if auth.competing != competing {
                competing = auth.competing
                ready()
            }
        case .waitingForSession:
            if let token { stream?.send(StreamCommand.session(token).text) }
        case let .notification(text), let .bulletin(text):
            if !text.isEmpty { logger.info("Client Portal: \(text)") }
        case .heartbeat, .connected, .other:
            break
        case let .unreadable(reason):
            logger.debug("Client Portal stream: unreadable message: \(reason)")
        }
    }

    /// Gives lines to the best-ranked symbols with a contract, within the budget; the rest are over budget.
    /// Sends `smd` again for each line whose last one is `subscriptionRenewSeconds` old: the gateway ends a stream
    /// subscription 10 minutes after its `smd`, silently, and a quiet symbol would look merely quiet.
    private func renewSubscriptions(now: Double) {
        guard stream != nil else { return }
        for (symbol, line) in lines where line.streaming && now - line.subscribedAt >= settings.subscriptionRenewSeconds {
            guard let conid = line.conid else { continue }
            send(.subscribe(conid: conid, fields: MarketDataField.quoteFields))
            lines[symbol]?.subscribedAt = now
        }
    }

    private func serveLines() {
        var used = 0
        for symbol in ranking {
            guard var line = lines[symbol], let conid = line.conid else { continue }
            if case .ended = line.status { continue }
            if used < configuration.lineBudget {
                used += 1
                if !line.streaming, stream != nil {
                    send(.subscribe(conid: conid, fields: MarketDataField.quoteFields))
                    line.streaming = true
                    line.subscribedAt = client.clock()
                    if line.status == .overBudget {
                        line.status = .pending
                        emit(.symbolStatus(symbol: symbol, .pending))
                    }
                }
            } else {
                if line.streaming { send(.unsubscribe(conid: conid)) }
                line.streaming = false
                if line.status != .overBudget {
                    line.status = .overBudget
                    emit(.symbolStatus(symbol: symbol, .overBudget))
                }
            }
            lines[symbol] = line
        }
    }

    // MARK: Contracts

    /// Finds the contract of each symbol that has none yet, a few a turn so the tickle and the portfolio keep their
    /// place in the pacing.
    private func lookUpContracts() async throws(GatewayError) {
        let waiting = ranking.filter { lines[$0]?.conid == nil && lines[$0]?.status == .pending }.prefix(5)
        for symbol in waiting {
            guard let instrument = lines[symbol]?.instrument else { continue }
            let found: Int?
            do {
                found = try await conid(for: instrument)
            } catch {
                guard case let .malformed(detail) = error else { throw error }
                // One unreadable answer ends that symbol, not the session.
                logger.notice("Client Portal: the contract of \(symbol) could not be read: \(detail)")
                found = nil
            }
            guard var line = lines[symbol] else { continue }
            if let found {
                line.conid = found
                byConid[found] = symbol
                lines[symbol] = line
            } else {
                line.status = .ended(.unknownContract)
                lines[symbol] = line
                emit(.symbolStatus(symbol: symbol, line.status))
            }
        }
        if !waiting.isEmpty { serveLines() }
    }

    /// The gateway's contract id for `instrument` (stock, option, forex pair or coin), looked up once and kept for
    /// the process's life; nil when the gateway knows no such contract.
    func conid(for instrument: Instrument) async throws(GatewayError) -> Int? {
        try await contracts.conid(for: instrument)
    }

    // MARK: The portfolio

    /// Positions, account values and P&L: `/portfolio/accounts` once a session (the gateway wants it first), then
    /// each account's positions (every page) and summary, then the partitioned P&L.
    private func readPortfolio() async throws(GatewayError) {
        var bases: [String: String] = [:]
        if !portfolioAccountsRead {
            let list = try await decode { try PortfolioAccount.decodeList(try await client.call(.portfolioAccounts, path: GatewayPath.portfolioAccounts)) }
            for account in list { bases[account.accountId] = account.currency }
            portfolioAccountsRead = true
        }
        let wantedAccounts = configuration.accountId.isEmpty ? Array(accounts.prefix(1)) : [configuration.accountId]
        var positions: [IBKRPosition] = []
        var values: [String: AccountBalance] = [:]
        for account in wantedAccounts {
            for page in 0..<50 {
                let read = try await decode {
                    try PortfolioPosition.decodePage(try await client.call(.positions, path: GatewayPath.positions(account: account, page: page)))
                }
                positions += read.positions.map(Self.position)
                if read.positions.count + read.refused.count < PortfolioPosition.pageSize { break }
            }
            let summary = try await decode { try AccountSummary.decode(try await client.call(.summary, path: GatewayPath.summary(account: account))) }
            let base = bases[account] ?? summary["netliquidation"]?.currency ?? "USD"
            for balance in AccountSummary.balances(summary, account: account, baseCurrency: base) {
                values["\(balance.account)|\(balance.tag)|\(balance.currency)"] = balance
            }
        }
        positionList = positions
        emit(.positions(positions))
        balances = values
        emit(.accountValues(Array(values.values)))
        let rows = try await decode { try PartitionedPnL.decode(try await client.call(.partitionedPnL, path: GatewayPath.partitionedPnL)) }
        if let row = rows.first(where: { wantedAccounts.contains($0.account) && $0.model == "Core" }) {
            let next = IBKRAccountPnL.reported(account: row.account, dailyPnL: row.dailyPnl, unrealizedPnL: row.unrealizedPnl, realizedPnL: nil)
            if next != pnl {
                pnl = next
                emit(.accountPnL(next))
            }
        }
    }

    /// A gateway position as IBKR's: stocks, options, forex pairs and coins get their instrument (so the hub values
    /// them); other kinds (futures, bonds, funds…) are kept with IBKR's own figures only.
    static func position(_ row: PortfolioPosition) -> IBKRPosition {
        var instrument: Instrument?
        if row.assetClass == "STK", let ticker = row.ticker ?? row.contractDesc.split(separator: " ").first.map(String.init), !ticker.isEmpty {
            instrument = .stock(ticker, currency: row.currency ?? "USD")
        } else if row.assetClass == "OPT", let underlying = row.ticker, !underlying.isEmpty, let expiry = row.expiry,
                  expiry.count == 8, expiry.allSatisfy(\.isNumber), let strike = row.strike, strike > 0,
                  let right = row.putOrCall.flatMap(OptionTerms.Right.init(rawValue:)) {
            instrument = .option(OptionTerms(underlying: underlying, expiry: expiry, right: right, strike: strike))
        } else if row.assetClass == "CASH" {
            // contractDesc is the pair ("EUR.USD"); ticker is only its base, the currency its quote.
            let pair = row.contractDesc.contains(".") ? row.contractDesc : row.ticker.map { "\($0).\(row.currency ?? "")" } ?? ""
            instrument = (try? SymbolGrammar.parse(pair)).flatMap { $0.securityType == .forex ? $0 : nil }
        } else if row.assetClass == "CRYPTO", row.currency == nil || row.currency == "USD" {
            let coin = row.ticker ?? row.contractDesc
            instrument = (try? SymbolGrammar.parse(coin)).flatMap { $0.securityType == .crypto ? $0 : nil }
        }
        var position = IBKRPosition(account: row.accountId, conId: row.conid, instrument: instrument, currency: row.currency, multiplier: row.multiplier)
        position.quantity = row.quantity
        position.averageCost = row.avgCost ?? row.avgPrice ?? 0
        position.marketPrice = row.marketPrice
        position.marketValue = row.marketValue
        position.unrealizedPnL = row.unrealizedPnl
        position.realizedPnL = row.realizedPnl
        return position
    }
}
