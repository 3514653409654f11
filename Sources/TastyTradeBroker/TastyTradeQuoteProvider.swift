import Foundation
import Logging
import MarketData
import Synchronization
import TastyTrade
import TickhubCore
import WebSocketClient

/// TastyTrade's market data (dxFeed's DXLink) as a quote provider named `tastytrade`.
///
/// One WebSocket to the URL the quote token names: SETUP, AUTH, one FEED channel in COMPACT form, Quote, Trade and
/// Summary for every subscribed symbol. KEEPALIVEs go out on a timer and a link silent past the timeout is dropped;
/// a lost link is opened again with backoff and everything subscribed again, its quotes sent stale meanwhile. A
/// refused quote token is replaced once on the same link; refused again, the provider says so and waits.
public final class TastyTradeQuoteProvider: MarketDataProvider, Sendable {
    public let name: QuoteSource = .tastytrade
    public let configuration: Configuration
    private let quoteToken: @Sendable () async throws -> DXLinkToken
    private let logger: Logger
    private let state = Mutex(State())

    struct State {
        var sink: (@Sendable (ProviderEvent) -> Void)?
        var lastHealth: ProviderHealth?
        /// Tickhub symbol → streamer symbol, and back: events are matched to what was subscribed, not re-parsed.
        var streamerSymbols: [String: String] = [:]
        var tickhubSymbols: [String: String] = [:]
        var quotes: [String: Quote] = [:]
        var token: DXLinkToken?
        var tokenFetchedAt: ContinuousClock.Instant?
        var live: Live?
        var generation = 0
        var runner: Task<Void, Never>?
        var stopped = false
        var malformedLog = LogAllowance(perMinute: 10)
    }

    /// The current connection.
    struct Live {
        let generation: Int
        var link: WebSocketLink?
        var session: DXLinkSession
        var delayed: Bool
        var lastHeard = ContinuousClock.now
        /// Messages the session answered before the link was handed over.
        var outbox: [DXLinkMessage] = []
        let ended: AsyncStream<Ending>.Continuation
        /// A refused token was replaced on this link already; streaming again clears it.
        var replacedToken = false
        var streaming = false
    }

    /// Why a connection ended, and what follows.
    struct Ending: Sendable {
        var reason: String
        /// The replacement token was refused too: wait `refusedRetrySeconds`, then start with another.
        var refused = false
    }

    public init(
        configuration: Configuration, quoteToken: @escaping @Sendable () async throws -> DXLinkToken,
        logger: Logger = Logger(label: "tickhub.tastytrade.quotes")
    ) {
        self.configuration = configuration
        self.quoteToken = quoteToken
        self.logger = logger
    }

    // MARK: MarketDataProvider

    public func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async {
        let started = state.withLock { state -> Bool in
            state.sink = sink
            guard state.runner == nil, !state.stopped else { return false }
            return true
        }
        guard started else { return }
        report(.connecting, "connecting to DXLink", available: false)
        let runner = Task { [weak self] () async -> Void in
            guard let self else { return }
            await self.run()
        }
        state.withLock { $0.runner = runner }
    }

    public func subscribe(_ instruments: [Instrument]) async {
        var unknown: [String] = []
        let (added, link) = state.withLock { state -> ([String], WebSocketLink?) in
            var added: [String] = []
            for instrument in instruments {
                guard let streamer = TastySymbol.streamerSymbol(instrument) else {
                    unknown.append(instrument.symbol)
                    continue
                }
                guard state.streamerSymbols[instrument.symbol] == nil else { continue }
                state.streamerSymbols[instrument.symbol] = streamer
                state.tickhubSymbols[streamer] = instrument.symbol
                added.append(streamer)
            }
            return (added, state.live.flatMap { $0.streaming ? $0.link : nil })
        }
        emit(unknown.map { .symbol($0, .unknown) })
        // Not yet streaming: the subscription with reset sends them all once the feed is ready.
        if let link, !added.isEmpty { link.send(DXLinkSession.subscription(add: added).json) }
    }

    public func unsubscribe(_ symbols: [String]) async {
        let (removed, link) = state.withLock { state -> ([String], WebSocketLink?) in
            var removed: [String] = []
            for symbol in symbols {
                guard let streamer = state.streamerSymbols.removeValue(forKey: symbol) else { continue }
                state.tickhubSymbols[streamer] = nil
                state.quotes[symbol] = nil
                removed.append(streamer)
            }
            return (removed, state.live.flatMap { $0.streaming ? $0.link : nil })
        }
        if let link, !removed.isEmpty { link.send(DXLinkSession.subscription(add: [], remove: removed).json) }
    }

    public func stop() async {
        let (runner, live) = state.withLock { state in
            state.stopped = true
            defer { state.runner = nil }
            return (state.runner, state.live)
        }
        runner?.cancel()
        live?.link?.close()
        live?.ended.yield(Ending(reason: "stopped"))
        await runner?.value
        markStale()
        report(.disconnected, "stopped", available: false)
    }

    // MARK: The connection

    private func run() async {
        var attempt = 0
        while !Task.isCancelled {
            let (ending, streamed) = await connectOnce()
            if Task.isCancelled || state.withLock({ $0.stopped }) { return }
            markStale()
            attempt = streamed ? 1 : attempt + 1
            let wait: Double
            if ending.refused {
                wait = configuration.refusedRetrySeconds
                state.withLock { $0.token = nil }
                report(.error, "\(ending.reason); asking for a new quote token in \(Self.seconds(wait))", available: false)
                let reason = "TastyTrade's quote token was refused: \(ending.reason)"
                emit(state.withLock { $0.streamerSymbols.keys.sorted() }.map { .symbol($0, .unavailable(reason)) })
            } else {
                wait = Backoff(initial: configuration.reconnectInitialSeconds, cap: configuration.reconnectCapSeconds)
                    .delay(attempt: attempt, unit: Double.random(in: 0..<1))
                report(.reconnecting, "\(ending.reason); reconnecting in \(Self.seconds(wait))", available: false)
            }
            logger.notice("TastyTrade quotes: \(ending.reason); next attempt in \(Self.seconds(wait))")
            try? await Task.sleep(for: .seconds(wait))
        }
    }

    /// One connection, from the token to its end; true when its feed was streaming at some point.
    private func connectOnce() async -> (Ending, Bool) {
        let token: DXLinkToken
        do {
            token = try await currentToken()
        } catch {
            return (Ending(reason: "no quote token from TastyTrade (\(error))"), false)
        }
        let (stream, ended) = AsyncStream<Ending>.makeStream()
        let generation = state.withLock { state -> Int in
            state.generation += 1
            state.live = Live(
                generation: state.generation,
                session: DXLinkSession(
                    token: token.token, keepaliveTimeout: configuration.keepaliveTimeoutSeconds,
                    aggregationPeriod: configuration.aggregationSeconds),
                delayed: token.isDelayed, ended: ended)
            return state.generation
        }
        defer { state.withLock { if $0.live?.generation == generation { $0.live = nil } } }
        let link: WebSocketLink
        do {
            link = try await WebSocketLink.open(
                url: token.url, headers: ["User-Agent": configuration.userAgent],
                timeout: .milliseconds(Int64(configuration.connectTimeoutSeconds * 1000)),
                onText: { [weak self] text in self?.received(text, generation: generation) },
                onClose: { ended.yield(Ending(reason: "DXLink closed the connection")) })
        } catch {
            return (Ending(reason: "cannot reach DXLink at \(token.url) (\(error))"), false)
        }
        let first = state.withLock { state -> [DXLinkMessage]? in
            guard state.live?.generation == generation, let session = state.live?.session else { return nil }
            state.live?.link = link
            defer { state.live?.outbox = [] }
            return [session.setup] + (state.live?.outbox ?? [])
        }
        guard let first else {
            link.close()
            return (Ending(reason: "stopped"), false)
        }
        for message in first { link.send(message.json) }
        let keeper = Task { [weak self] () async -> Void in
            guard let self else { return }
            await self.keepAlive(link, generation: generation)
        }
        var ending = Ending(reason: "stopped")
        for await end in stream {
            ending = end
            break
        }
        keeper.cancel()
        link.close()
        let streamed = state.withLock { $0.live?.generation == generation && $0.live?.streaming == true }
        return (ending, streamed)
    }

    /// The cached quote token while it is young enough, else a new one.
    private func currentToken() async throws -> DXLinkToken {
        let cached = state.withLock { state -> DXLinkToken? in
            guard let token = state.token, let at = state.tokenFetchedAt,
                  ContinuousClock.now - at < .seconds(configuration.tokenLifeSeconds)
            else { return nil }
            return token
        }
        if let cached { return cached }
        let token = try await quoteToken()
        state.withLock { state in
            state.token = token
            state.tokenFetchedAt = .now
        }
        return token
    }

    /// KEEPALIVE on time, and the link dropped once the server has been silent past the timeout.
    private func keepAlive(_ link: WebSocketLink, generation: Int) async {
        let tick = min(configuration.keepaliveSeconds, configuration.keepaliveTimeoutSeconds / 4, 1)
        var lastSent = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(tick))
            guard let (heard, ended) = state.withLock({ state -> (ContinuousClock.Instant, AsyncStream<Ending>.Continuation)? in
                guard let live = state.live, live.generation == generation else { return nil }
                return (live.lastHeard, live.ended)
            }) else { return }
            let now = ContinuousClock.now
            if now - heard > .seconds(configuration.keepaliveTimeoutSeconds) {
                link.close()
                ended.yield(Ending(reason: "DXLink silent for \(Self.seconds(configuration.keepaliveTimeoutSeconds))"))
                return
            }
            if now - lastSent >= .seconds(configuration.keepaliveSeconds) {
                link.send(DXLinkMessage.keepalive(channel: 0).json)
                lastSent = now
            }
        }
    }

    // MARK: Messages

    private func received(_ text: String, generation: Int) {
        let message: DXLinkMessage
        do {
            message = try DXLinkMessage.decode(text)
        } catch {
            malformed(error.message)
            return
        }
        let outcomes = state.withLock { state -> [DXLinkSession.Outcome]? in
            guard state.live?.generation == generation else { return nil }
            state.live?.lastHeard = .now
            return state.live?.session.receive(message)
        }
        guard let outcomes else { return }
        perform(outcomes, generation: generation)
    }

    private func perform(_ outcomes: [DXLinkSession.Outcome], generation: Int) {
        for outcome in outcomes {
            switch outcome {
            case let .send(message):
                send([message], generation: generation)
            case .feedReady:
                let (symbols, delayed) = state.withLock { state -> ([String], Bool) in
                    state.live?.streaming = true
                    state.live?.replacedToken = false
                    return (state.streamerSymbols.values.sorted(), state.live?.delayed ?? false)
                }
                send([DXLinkSession.subscription(add: symbols, reset: true)], generation: generation)
                report(.ready, delayed ? "delayed quotes (the quote token's level)" : nil, available: true)
            case let .events(events):
                quotes(from: events, generation: generation)
            case let .tokenRefused(reason):
                refused(reason, generation: generation)
            case let .failed(reason):
                end(Ending(reason: reason), generation: generation)
            case let .malformed(detail):
                malformed(detail)
            }
        }
    }

    private func send(_ messages: [DXLinkMessage], generation: Int) {
        let link = state.withLock { state -> WebSocketLink? in
            guard state.live?.generation == generation else { return nil }
            guard let link = state.live?.link else {
                state.live?.outbox += messages
                return nil
            }
            return link
        }
        for message in messages { link?.send(message.json) }
    }

    private func end(_ ending: Ending, generation: Int) {
        let live = state.withLock { state in state.live?.generation == generation ? state.live : nil }
        live?.link?.close()
        live?.ended.yield(ending)
    }

    /// The token was refused: quotes go stale at once; a new token is tried once on the same link.
    private func refused(_ reason: String, generation: Int) {
        markStale()
        let replaceable = state.withLock { state -> Bool in
            guard state.live?.generation == generation, state.live?.replacedToken == false else { return false }
            state.live?.replacedToken = true
            state.live?.streaming = false
            state.token = nil
            return true
        }
        guard replaceable else {
            end(Ending(reason: reason, refused: true), generation: generation)
            return
        }
        report(.reconnecting, "\(reason); asking for a new quote token", available: false)
        logger.notice("TastyTrade quotes: \(reason); asking for a new quote token")
        Task { [weak self] in
            guard let self else { return }
            do {
                let token = try await self.currentToken()
                let outcomes = self.state.withLock { state -> [DXLinkSession.Outcome]? in
                    guard state.live?.generation == generation else { return nil }
                    state.live?.delayed = token.isDelayed
                    return state.live?.session.reauthorize(with: token.token)
                }
                if let outcomes { self.perform(outcomes, generation: generation) }
            } catch {
                self.end(Ending(reason: "\(reason), and no new quote token came (\(error))"), generation: generation)
            }
        }
    }

    private func quotes(from events: [DXLinkEvent], generation: Int) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let changed = state.withLock { state -> [Quote] in
            guard let live = state.live, live.generation == generation, live.streaming else { return [] }
            var changed: [String: Quote] = [:]
            for event in events {
                guard let symbol = state.tickhubSymbols[event.symbol] else { continue }
                var quote = changed[symbol] ?? state.quotes[symbol] ?? Quote(symbol: symbol, source: .tastytrade)
                let wasStale = quote.stale || quote.delayed != live.delayed
                guard quote.apply(event) || wasStale else { continue }
                quote.timestamp = now
                quote.delayed = live.delayed
                quote.stale = false
                changed[symbol] = quote
            }
            for (symbol, quote) in changed { state.quotes[symbol] = quote }
            return changed.values.sorted { $0.symbol < $1.symbol }
        }
        emit(changed.map { .quote($0) })
    }

    private func markStale() {
        let stale = state.withLock { state -> [Quote] in
            var stale: [Quote] = []
            for (symbol, quote) in state.quotes where !quote.stale {
                state.quotes[symbol]?.stale = true
                stale.append(state.quotes[symbol] ?? quote)
            }
            return stale.sorted { $0.symbol < $1.symbol }
        }
        emit(stale.map { .quote($0) })
    }

    private func malformed(_ detail: String) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let allowance = state.withLock { $0.malformedLog.admit(now: now) }
        if allowance.write {
            logger.warning("TastyTrade quotes: a DXLink message was not understood: \(detail)\(LogAllowance.suffix(allowance.leftOut))")
        }
    }

    // MARK: Events

    private func emit(_ events: [ProviderEvent]) {
        guard !events.isEmpty, let sink = state.withLock({ $0.sink }) else { return }
        for event in events { sink(event) }
    }

    /// Health, when it changed.
    private func report(_ providerState: ProviderState, _ detail: String?, available: Bool) {
        let health = ProviderHealth(name: .tastytrade, state: providerState, detail: detail, available: available)
        let changed = state.withLock { state -> Bool in
            guard state.lastHealth != health else { return false }
            state.lastHealth = health
            return true
        }
        if changed { emit([.health(health)]) }
    }

    static func seconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.1f s", value) : "\(Int(value.rounded())) s"
    }
}
