import AsyncHTTPClient
import Foundation
import Logging
import ProviderParsing
import Synchronization
import TickhubCore

/// Alpha Vantage as the last-resort source: GLOBAL_QUOTE within a tiny request budget (25 a day, 1 a second on
/// the free tier), one symbol at a time, round-robin. Without `ALPHAVANTAGE_API_KEY` it is disabled and says so.
public final class AlphaVantageProvider: MarketDataProvider, Sendable {
    public let name: QuoteSource = .alphaVantage
    public let configuration: Configuration
    private let fetcher: HTTPFetcher
    private let logger: Logger
    private let events = ProviderEvents()
    private let state = Mutex(State())

    struct State {
        var subscribed: [String: Instrument] = [:]
        var lastAsked: [String: Int64] = [:]
        /// Symbols Alpha Vantage said it does not know, with when to ask again: the budget is too small to waste.
        var unknownUntil: [String: Int64] = [:]
        var lastQuotes: [String: Quote] = [:]
        var day = ""
        var usedToday = 0
        var pausedUntil: Int64 = 0
        var worker: Task<Void, Never>?
    }

    public init(configuration: Configuration, client: HTTPClient, logger: Logger = Logger(label: "tickhub.alphavantage")) {
        self.configuration = configuration
        fetcher = HTTPFetcher(client: client, timeout: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000)))
        self.logger = logger
    }

    var hasKey: Bool { !(configuration.apiKey ?? "").isEmpty }

    public func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async {
        events.connect(sink)
        guard hasKey else {
            report(ProviderHealth(name: .alphaVantage, state: .disabled, detail: "no ALPHAVANTAGE_API_KEY set", available: false))
            return
        }
        report(ProviderHealth(name: .alphaVantage, state: .ready, available: true))
        let worker = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                await self.step()
                try? await Task.sleep(for: .seconds(self.configuration.minimumSpacingSeconds))
            }
        }
        state.withLock { $0.worker = worker }
    }

    public func subscribe(_ instruments: [Instrument]) async {
        var unsupported: [String] = []
        state.withLock { state in
            for instrument in instruments {
                if ProviderSymbols.alphaVantageSymbol(for: instrument) == nil {
                    unsupported.append(instrument.symbol)
                } else {
                    state.subscribed[instrument.symbol] = instrument
                }
            }
        }
        for symbol in unsupported {
            emit(.symbol(symbol, .unavailable("Alpha Vantage's GLOBAL_QUOTE serves stocks only")))
        }
        if !hasKey {
            for instrument in instruments { emit(.symbol(instrument.symbol, .unavailable("Alpha Vantage has no API key"))) }
        }
    }

    public func unsubscribe(_ symbols: [String]) async {
        state.withLock { state in
            for symbol in symbols {
                state.subscribed[symbol] = nil
                state.lastAsked[symbol] = nil
                state.lastQuotes[symbol] = nil
            }
        }
    }

    public func stop() async { state.withLock { $0.worker }?.cancel() }

    /// Asks for the symbol that has waited longest, if it is due and the budget allows.
    func step() async {
        let now = nowMillis()
        let today = Self.utcDay(now)
        let next = state.withLock { state -> (String, Instrument)? in
            if today != state.day {
                state.day = today
                state.usedToday = 0
            }
            guard now >= state.pausedUntil, state.usedToday < configuration.dailyBudget else { return nil }
            let lastAsked = state.lastAsked, unknownUntil = state.unknownUntil
            let due = state.subscribed.filter {
                now - (lastAsked[$0.key] ?? 0) >= Int64(configuration.pollSeconds * 1000) && (unknownUntil[$0.key] ?? 0) <= now
            }
            guard let pick = due.min(by: { (lastAsked[$0.key] ?? 0) < (lastAsked[$1.key] ?? 0) }) else { return nil }
            state.lastAsked[pick.key] = now
            state.usedToday += 1
            return (pick.key, pick.value)
        }
        if state.withLock({ $0.usedToday >= configuration.dailyBudget && now >= $0.pausedUntil }) {
            exhausted(until: Self.nextUTCMidnight(now), detail: "the daily budget of \(configuration.dailyBudget) requests is spent")
        }
        guard let (symbol, instrument) = next, let avSymbol = ProviderSymbols.alphaVantageSymbol(for: instrument) else { return }
        let key = configuration.apiKey ?? ""
        let url = configuration.baseURL + "/query?function=GLOBAL_QUOTE&symbol=" + ProviderSymbols.percentEncodedQueryValue(avSymbol)
            + "&apikey=" + ProviderSymbols.percentEncodedQueryValue(key)
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(url)
        } catch {
            emit(.symbol(symbol, .unavailable("Alpha Vantage unreachable")))
            return
        }
        switch AlphaVantageParsing.parseGlobalQuote(status: response.status, contentType: response.contentType, body: response.body, apiKey: key) {
        case let .quote(av):
            let quote = av.quote(for: symbol, isLatestSession: true)
            state.withLock { $0.lastQuotes[symbol] = quote }
            report(ProviderHealth(name: .alphaVantage, state: .ready, available: true))
            emit(.symbol(symbol, .serving))
            emit(.quote(quote))
        case .unknownSymbol:
            state.withLock { $0.unknownUntil[symbol] = now + 24 * 3_600_000 }
            emit(.symbol(symbol, .unknown))
        case let .rateLimited(limit, message):
            switch limit {
            case .daily, .other:
                exhausted(until: Self.nextUTCMidnight(now), detail: message)
            case .burst:
                state.withLock { state in
                    state.pausedUntil = now + 2_000
                    state.lastAsked[symbol] = nil
                }
            case .premium, .demo:
                report(ProviderHealth(name: .alphaVantage, state: .error, detail: message, available: false))
            }
        case .invalidKey:
            report(ProviderHealth(name: .alphaVantage, state: .error, detail: "the API key is invalid or missing", available: false))
        case let .error(message), let .unavailable(message):
            emit(.symbol(symbol, .unavailable("Alpha Vantage: \(message)")))
        }
    }

    private func exhausted(until: Int64, detail: String) {
        let symbols = state.withLock { state in
            state.pausedUntil = until
            state.usedToday = configuration.dailyBudget
            return Array(state.lastQuotes.keys)
        }
        logger.warning("Alpha Vantage rate-limited until the next UTC day: \(detail)")
        report(ProviderHealth(name: .alphaVantage, state: .rateLimited, detail: detail, until: until, available: false))
        for symbol in symbols {
            guard var quote = state.withLock({ $0.lastQuotes[symbol] }), !quote.stale else { continue }
            quote.stale = true
            emit(.quote(quote))
        }
    }

    static func utcDay(_ millis: Int64) -> String { String(millis / 86_400_000) }

    static func nextUTCMidnight(_ millis: Int64) -> Int64 { (millis / 86_400_000 + 1) * 86_400_000 }

    private func report(_ health: ProviderHealth) { events.report(health) }

    private func emit(_ event: ProviderEvent) { events.emit(event) }
}
