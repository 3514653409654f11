import AsyncHTTPClient
import Foundation
import Logging
import ProviderParsing
import Synchronization
import TickhubCore

/// Yahoo Finance as a fallback source: polls the v7 batch quote for every subscribed symbol, and falls back to
/// the v8 chart per symbol when v7 fails on its own (a crumb it cannot get, a 404 or any other answer that is not
/// a quote). Only 429 and transport failures, which would fail every endpoint alike, pause the provider.
public final class YahooProvider: MarketDataProvider, Sendable {
    public let name: QuoteSource = .yahoo
    public let configuration: Configuration
    let fetcher: HTTPFetcher
    let logger: Logger
    private let events = ProviderEvents()
    let state: Mutex<State>

    struct State {
        /// Tickhub symbol → instrument.
        var subscribed: [String: Instrument] = [:]
        var unknownUntil: [String: Int64] = [:]
        var lastQuotes: [String: Quote] = [:]
        var backoff: ProviderBackoff
        var pausedUntil: Int64 = 0
        var crumb: String?
        /// Until when v7 is skipped in favour of the chart endpoint (after a crumb failure).
        var chartOnlyUntil: Int64 = 0
        var poller: Task<Void, Never>?
        /// Set when a new subscription (or the end of a pause) should not wait for the next round.
        var pollSoon = true
    }

    public init(configuration: Configuration, client: HTTPClient, logger: Logger = Logger(label: "tickhub.yahoo")) {
        self.configuration = configuration
        fetcher = HTTPFetcher(client: client, timeout: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000)))
        self.logger = logger
        state = Mutex(State(
            backoff: ProviderBackoff(initialSeconds: configuration.backoffInitialSeconds, capSeconds: configuration.backoffCapSeconds)))
    }

    public func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async {
        events.connect(sink)
        report(ProviderHealth(name: .yahoo, state: .ready, available: true))
        let poller = Task { [weak self] in
            var nextRound = ContinuousClock.now
            while !Task.isCancelled {
                guard let self else { return }
                let soon = self.state.withLock { state in
                    defer { state.pollSoon = false }
                    return state.pollSoon
                }
                if soon || ContinuousClock.now >= nextRound {
                    nextRound = ContinuousClock.now + .seconds(self.configuration.pollSeconds)
                    await self.pollOnce()
                }
                // A short tick, so a new subscription gets its first quote within a fraction of a second.
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        state.withLock { $0.poller = poller }
    }

    public func subscribe(_ instruments: [Instrument]) async {
        var unsupported: [String] = []
        state.withLock { state in
            for instrument in instruments {
                if ProviderSymbols.yahooSymbol(for: instrument) == nil {
                    unsupported.append(instrument.symbol)
                } else {
                    state.subscribed[instrument.symbol] = instrument
                }
            }
        }
        for symbol in unsupported { emit(.symbol(symbol, .unknown)) }
        state.withLock { $0.pollSoon = true }
    }

    public func unsubscribe(_ symbols: [String]) async {
        state.withLock { state in
            for symbol in symbols {
                state.subscribed[symbol] = nil
                state.lastQuotes[symbol] = nil
            }
        }
    }

    public func stop() async {
        state.withLock { $0.poller }?.cancel()
    }

    // MARK: Polling

    func pollOnce() async {
        let now = nowMillis()
        let (targets, paused, chartOnly, crumb) = state.withLock { state in
            let targets = state.subscribed.filter { (state.unknownUntil[$0.key] ?? 0) <= now }.sorted { $0.key < $1.key }
            return (targets, now < state.pausedUntil, now < state.chartOnlyUntil, state.crumb)
        }
        guard !paused else { return }
        // A pause that ended with nothing to poll: say Yahoo may be tried again; the next poll is the probe.
        if targets.isEmpty {
            if state.withLock({ $0.pausedUntil > 0 }) {
                state.withLock { $0.pausedUntil = 0 }
                report(ProviderHealth(name: .yahoo, state: .ready, available: true))
            }
            return
        }
        if chartOnly {
            for (symbol, instrument) in targets { await pollChart(symbol, instrument) }
            return
        }
        for batch in stride(from: 0, to: targets.count, by: configuration.batchSize).map({ Array(targets[$0..<min($0 + configuration.batchSize, targets.count)]) }) {
            guard await pollBatch(batch, crumb: crumb) else { return }
        }
    }

    /// One v7 request for a batch of symbols; false when polling should stop for this round.
    func pollBatch(_ batch: [(String, Instrument)], crumb: String?) async -> Bool {
        let yahooSymbols = batch.compactMap { ProviderSymbols.yahooSymbol(for: $0.1) }
        var url = configuration.baseURL + "/v7/finance/quote?symbols="
            + yahooSymbols.map(ProviderSymbols.percentEncodedQueryValue).joined(separator: ",")
        if let crumb { url += "&crumb=" + ProviderSymbols.percentEncodedQueryValue(crumb) }
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(url)
        } catch {
            failed("Yahoo unreachable: \(error)")
            return false
        }
        let now = nowMillis()
        switch YahooParsing.parseQuotes(
            status: response.status, contentType: response.contentType, body: response.body, requested: yahooSymbols, now: now) {
        case let .quotes(outcomes):
            succeeded()
            for (symbol, instrument) in batch {
                guard let yahoo = ProviderSymbols.yahooSymbol(for: instrument) else { continue }
                let outcome = outcomes[yahoo] ?? outcomes.first { ProviderSymbols.yahooSymbol($0.key, matches: instrument) }?.value
                handle(outcome ?? .unknownSymbol("not in Yahoo's answer"), symbol: symbol, now: now)
            }
            return true
        case .rateLimited:
            rateLimited()
            return false
        case let .unauthorized(message):
            // v7 wants a crumb: get one once; if that fails too, poll charts, which need none.
            if crumb == nil, let fresh = await fetchCrumb() {
                state.withLock { $0.crumb = fresh }
                return await pollBatch(batch, crumb: fresh)
            }
            state.withLock { $0.crumb = nil }
            await useChartEndpoint(for: batch, because: "v7 refused: \(message)")
            return true
        case let .unavailable(message):
            // The v7 endpoint answered, with something other than quotes: it is that endpoint that fails, not Yahoo.
            await useChartEndpoint(for: batch, because: "v7 failed: \(message)")
            return true
        }
    }

    /// Polls this batch, and everything for the next 10 minutes, through the per-symbol chart endpoint.
    func useChartEndpoint(for batch: [(String, Instrument)], because reason: String) async {
        logger.notice("Yahoo \(reason); polling the chart endpoint per symbol for 10 minutes")
        state.withLock { $0.chartOnlyUntil = nowMillis() + 600_000 }
        for (symbol, instrument) in batch { await pollChart(symbol, instrument) }
    }

    func pollChart(_ symbol: String, _ instrument: Instrument) async {
        guard let yahoo = ProviderSymbols.yahooSymbol(for: instrument) else { return }
        let url = configuration.baseURL + "/v8/finance/chart/" + ProviderSymbols.percentEncodedPathSegment(yahoo)
            + "?range=1d&interval=1m"
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(url)
        } catch {
            failed("Yahoo unreachable: \(error)")
            return
        }
        let now = nowMillis()
        let outcome = YahooParsing.parseChart(status: response.status, contentType: response.contentType, body: response.body, now: now)
        switch outcome {
        case .rateLimited: rateLimited()
        case .quote, .unknownSymbol:
            succeeded()
            handle(outcome, symbol: symbol, now: now)
        case let .unauthorized(message), let .unavailable(message):
            handle(.unavailable(message), symbol: symbol, now: now)
        }
    }

    func fetchCrumb() async -> String? {
        guard let response = try? await fetcher.get(configuration.baseURL + "/v1/test/getcrumb") else { return nil }
        if case let .crumb(crumb) = YahooParsing.parseCrumb(status: response.status, contentType: response.contentType, body: response.body) {
            return crumb
        }
        return nil
    }

    func handle(_ outcome: YahooOutcome, symbol: String, now: Int64) {
        switch outcome {
        case let .quote(yahoo):
            let quote = yahoo.quote(for: symbol, pollInterval: .seconds(configuration.pollSeconds), now: now)
            let known = state.withLock { state in
                guard state.subscribed[symbol] != nil else { return false }
                state.lastQuotes[symbol] = quote
                return true
            }
            guard known else { return }
            emit(.symbol(symbol, .serving))
            emit(.quote(quote))
        case let .unknownSymbol(message):
            logger.info("Yahoo does not know \(symbol): \(message)")
            state.withLock { $0.unknownUntil[symbol] = now + Int64(configuration.unknownRetrySeconds * 1000) }
            emit(.symbol(symbol, .unknown))
        case let .unavailable(message), let .unauthorized(message):
            emit(.symbol(symbol, .unavailable("Yahoo: \(message)")))
            resendStale(symbol)
        case .rateLimited:
            rateLimited()
        }
    }

    // MARK: Provider state

    private func succeeded() {
        state.withLock { $0.backoff.reset() }
        report(ProviderHealth(name: .yahoo, state: .ready, available: true))
    }

    /// Every Yahoo endpoint shares the limit (it is per address): quotes and chart bars alike pause.
    func rateLimited() {
        pause(state: .rateLimited, detail: "Yahoo answered 429 Too Many Requests")
    }

    private func failed(_ message: String) {
        // Outages get the same treatment as rate limits: stop, wait, probe.
        pause(state: .error, detail: message)
    }

    private func pause(state: ProviderState, detail: String) {
        let (until, symbols) = self.state.withLock { state in
            state.pausedUntil = nowMillis() + Int64(state.backoff.next() * 1000)
            return (state.pausedUntil, Array(state.lastQuotes.keys))
        }
        logger.warning("Yahoo \(state.rawValue): \(detail); pausing until \(Date(timeIntervalSince1970: Double(until) / 1000))")
        report(ProviderHealth(name: .yahoo, state: state, detail: detail, until: until, available: false))
        for symbol in symbols { resendStale(symbol) }
        // The first round after the pause ends is the probe (pollOnce skips rounds while paused).
    }

    private func resendStale(_ symbol: String) {
        guard var quote = state.withLock({ $0.lastQuotes[symbol] }), !quote.stale else { return }
        quote.stale = true
        state.withLock { $0.lastQuotes[symbol] = quote }
        emit(.quote(quote))
    }

    private func report(_ health: ProviderHealth) { events.report(health) }

    private func emit(_ event: ProviderEvent) { events.emit(event) }
}
