import CoreMetrics
import Foundation
import Logging
import Synchronization
import TickhubCore
import TickhubMetrics

/// What the manager tells its consumer (the server).
public enum ManagerEvent: Sendable {
    /// A quote from the symbol's current source (or its last one, re-sent stale when no source is left).
    case quote(Quote)
    /// The symbol's source changed; `to` is nil when no provider can serve it.
    case sourceChanged(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String)
    /// No provider knows the instrument.
    case unknownSymbol(String)
    case health([ProviderHealth])
}

/// Owns the symbols clients want and, per symbol, picks the provider whose quotes they see.
///
/// Providers report from their own threads; the manager's state sits behind one lock, held only for
/// bookkeeping. Subscriptions to providers are made outside it.
public final class DataProviderManager: Sendable {
    struct Entry {
        let instrument: Instrument
        var selector: SourceSelector
        var subscribed: Set<QuoteSource> = []
        var lastQuotes: [QuoteSource: Quote] = [:]
        var reportedUnknown = false
    }

    public let configuration: Configuration
    let providers: [QuoteSource: any MarketDataProvider]
    let output: @Sendable (ManagerEvent) -> Void
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var entries: [String: Entry] = [:]
        var health: [QuoteSource: ProviderHealth] = [:]
        /// Per-symbol source changes written to the log per minute: thousands of symbols asked at once otherwise
        /// become thousands of lines.
        var sourceChangeLog = LogAllowance(perMinute: 60)
        var evaluator: Task<Void, Never>?
        /// Set by `stop()`: providers going down on the way out are no failover, so nothing more is decided or said.
        var stopping = false
    }

    public init(
        configuration: Configuration, providers: [any MarketDataProvider], logger: Logger = Logger(label: "tickhub.providers"),
        output: @escaping @Sendable (ManagerEvent) -> Void
    ) {
        let byName = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // Only providers that exist take part in the order.
        var configuration = configuration
        configuration.policy.order = configuration.policy.order.filter { byName[$0] != nil }
        self.configuration = configuration
        self.providers = byName
        self.output = output
        self.logger = logger
    }

    public func start() async {
        for provider in providers.values {
            let name = provider.name
            await provider.start { [weak self] event in self?.handle(event, from: name) }
        }
        let interval = configuration.evaluationInterval
        let evaluator = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self?.evaluateAll()
            }
        }
        state.withLock { $0.evaluator = evaluator }
    }

    public func stop() async {
        let evaluator = state.withLock { state in
            state.stopping = true
            return state.evaluator
        }
        evaluator?.cancel()
        for provider in providers.values { await provider.stop() }
    }

    public func subscribe(_ instruments: [Instrument]) {
        let now = Self.nowMillis()
        var work: [(QuoteSource, [Instrument], Bool)] = []
        state.withLock { state in
            for instrument in instruments where state.entries[instrument.symbol] == nil {
                var selector = SourceSelector(policy: configuration.policy)
                // A new symbol starts from what is known of each provider, not from optimism.
                for (name, report) in state.health { selector.providerAvailable(name, report.available, now: now) }
                state.entries[instrument.symbol] = Entry(instrument: instrument, selector: selector)
            }
            for instrument in instruments { work += reconcile(instrument.symbol, now: now, in: &state) }
        }
        perform(work)
    }

    /// Passes the hub's ranking of symbols to every provider, for those with a limited number of lines.
    public func prioritize(_ symbols: [String]) async {
        for provider in providers.values { await provider.prioritize(symbols) }
    }

    public func unsubscribe(_ symbols: [String]) {
        var work: [(QuoteSource, [Instrument], Bool)] = []
        state.withLock { state in
            for symbol in symbols {
                guard let entry = state.entries.removeValue(forKey: symbol) else { continue }
                for provider in entry.subscribed { work.append((provider, [entry.instrument], false)) }
            }
        }
        perform(work)
    }

    /// Which provider serves each symbol now.
    public func sources() -> [String: QuoteSource?] {
        state.withLock { $0.entries.mapValues(\.selector.current) }
    }

    public func providerHealth() -> [ProviderHealth] {
        state.withLock { state in configuration.policy.order.compactMap { state.health[$0] } }
    }

    // MARK: Events

    func handle(_ event: ProviderEvent, from provider: QuoteSource) {
        let now = Self.nowMillis()
        var work: [(QuoteSource, [Instrument], Bool)] = []
        var events: [ManagerEvent] = []
        state.withLock { state in
            guard !state.stopping else { return }
            switch event {
            case let .quote(quote):
                guard var entry = state.entries[quote.symbol] else { return }
                let wasServing = entry.selector.knows(provider) == .serving
                entry.lastQuotes[provider] = quote
                entry.selector.quote(from: provider, fresh: !quote.stale, now: now)
                state.entries[quote.symbol] = entry
                // The steady state, once per update: a fresh quote from the current source changes no decision
                // (failback and silence are time-driven and re-evaluated on the timer), so skip the evaluation.
                if entry.selector.current == provider, !quote.stale, wasServing {
                    events.append(.quote(quote))
                    break
                }
                events += decide(quote.symbol, now: now, work: &work, in: &state)
                if state.entries[quote.symbol]?.selector.current == provider { events.append(.quote(quote)) }
            case let .symbol(symbol, symbolState):
                guard state.entries[symbol] != nil else { return }
                state.entries[symbol]?.selector.state(provider, symbolState, now: now)
                events += decide(symbol, now: now, work: &work, in: &state)
            case let .health(report):
                state.health[report.name] = report
                for symbol in state.entries.keys {
                    state.entries[symbol]?.selector.providerAvailable(provider, report.available, now: now)
                    events += decide(symbol, now: now, work: &work, in: &state)
                }
                events.append(.health(configuration.policy.order.compactMap { state.health[$0] }))
            }
        }
        events.forEach(output)
        perform(work)
    }

    func evaluateAll() {
        let now = Self.nowMillis()
        var work: [(QuoteSource, [Instrument], Bool)] = []
        var events: [ManagerEvent] = []
        state.withLock { state in
            guard !state.stopping else { return }
            for symbol in state.entries.keys { events += decide(symbol, now: now, work: &work, in: &state) }
        }
        events.forEach(output)
        perform(work)
    }

    /// Re-decides a symbol's source and its provider subscriptions, in the state the lock holds.
    private func decide(
        _ symbol: String, now: Int64, work: inout [(QuoteSource, [Instrument], Bool)], in state: inout State
    ) -> [ManagerEvent] {
        // Ask the providers that are needed first, so a failover goes straight to the next one.
        work += reconcile(symbol, now: now, in: &state)
        guard var entry = state.entries[symbol] else { return [] }
        let open = MarketClock.isOpen(entry.instrument, atMicroseconds: now * 1000)
        var events: [ManagerEvent] = []
        if let change = entry.selector.evaluate(now: now, marketOpen: open) {
            let allowance = state.sourceChangeLog.admit(now: now)
            if allowance.write {
                logger.notice("\(symbol): source \(change.from?.rawValue ?? "none") → \(change.to?.rawValue ?? "none") (\(change.reason))\(LogAllowance.suffix(allowance.leftOut))")
            }
            events.append(.sourceChanged(symbol: symbol, from: change.from, to: change.to, reason: change.reason))
            // A symbol's first source is no failover; every move away from one is.
            if let from = change.from {
                CoreMetrics.Counter(label: MetricCatalog.failovers, dimensions: [("from", from.rawValue), ("to", change.to?.rawValue ?? "none")])
                    .increment()
            }
            // Until the new source quotes (or when nobody can), the last price stays on screen, marked stale:
            // the new source's next quote is the first one presented as live.
            let previous = change.to.flatMap { entry.lastQuotes[$0] }
                ?? entry.lastQuotes.values.max(by: { $0.timestamp < $1.timestamp })
            if var last = previous {
                last.stale = true
                events.append(.quote(last))
            }
        }
        // Unknown: some provider says the instrument does not exist and none can serve it; providers that are
        // down or disabled cannot vouch for it either way.
        let order = configuration.policy.order
        let saidUnknown = order.contains { entry.selector.knows($0) == .unknown }
        let canServe = order.contains { entry.selector.isEligible($0, now: now, marketOpen: open) }
        if saidUnknown, !canServe, entry.selector.current == nil, !entry.reportedUnknown {
            entry.reportedUnknown = true
            events.append(.unknownSymbol(symbol))
        }
        state.entries[symbol] = entry
        work += reconcile(symbol, now: now, in: &state)
        return events
    }

    /// Subscribes the providers the selector wants and drops the ones it no longer needs, in the state the lock
    /// holds.
    private func reconcile(_ symbol: String, now: Int64, in state: inout State) -> [(QuoteSource, [Instrument], Bool)] {
        guard var entry = state.entries[symbol] else { return [] }
        let open = MarketClock.isOpen(entry.instrument, atMicroseconds: now * 1000)
        let wanted = Set(entry.selector.wanted(now: now, marketOpen: open)).filter { providers[$0] != nil }
        var work: [(QuoteSource, [Instrument], Bool)] = []
        for provider in wanted.subtracting(entry.subscribed) {
            work.append((provider, [entry.instrument], true))
            entry.selector.requested(provider, now: now)
        }
        for provider in entry.subscribed.subtracting(wanted) {
            work.append((provider, [entry.instrument], false))
            // A released provider's last quote ages from now on; it must not come back as if current.
            entry.lastQuotes[provider] = nil
        }
        entry.subscribed = wanted
        state.entries[symbol] = entry
        return work
    }

    private func perform(_ work: [(QuoteSource, [Instrument], Bool)]) {
        guard !work.isEmpty else { return }
        let providers = providers
        Task {
            for (name, instruments, subscribe) in work {
                guard let provider = providers[name] else { continue }
                if subscribe {
                    await provider.subscribe(instruments)
                } else {
                    await provider.unsubscribe(instruments.map(\.symbol))
                }
            }
        }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
