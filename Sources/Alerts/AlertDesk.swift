import AsyncHTTPClient
import Logging
import Store
import Synchronization
import TickhubCore

/// The price alerts of the hub: rules loaded from the database, evaluated on each quote of their symbol, and
/// delivered to the stream's `alerts` channel, webhooks and Telegram.
///
/// `observe` is on the quote path (the provider manager's thread): it takes one lock, evaluates that symbol's rules
/// and, only when something fired or a rule's memory changed, wakes the desk's worker. Everything slow (the
/// database, the deliveries, telling the hub) happens on the worker, off that thread. Each rule's memory (armed,
/// the side of its level, the last firing) is kept in the database so a restart neither fires a rule again inside
/// its cooldown nor loses track of a firing; the rules' symbols are kept followed upstream through `follow`.
public final class AlertDesk: Sendable {
    let store: PositionStore
    let configuration: AlertsConfiguration
    let clock: WallClock
    let logger: Logger
    let courier: AlertCourier
    /// Hands a firing to the hub's `alerts` channel (`TickhubServer.publishAlert`).
    let publish: @Sendable (AlertFired) -> Void
    /// Replaces the set of symbols the alerts hold followed upstream (`TickhubServer.followStanding`).
    let follow: @Sendable ([Instrument]) -> Void

    struct State {
        var evaluator = AlertEvaluator()
        var targets: [String: [AlertTarget]] = [:]
        /// Firings and memories the worker has not yet taken.
        var fired: [(fired: AlertFired, targets: [AlertTarget])] = []
        var memories: [String: AlertMemory] = [:]
        /// A rule expired out of the evaluator, so the followed symbols may have changed.
        var rulesDropped = false
        /// The worker has been woken and has not yet taken what is pending.
        var awake = false
    }

    let state = Mutex(State())
    /// The symbols last handed to `follow`; its own lock, so that two changes cannot hand them over out of order.
    let followed = Mutex<Set<String>>([])
    let wakes: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    let worker = Mutex<Task<Void, Never>?>(nil)

    public init(
        store: PositionStore, httpClient: HTTPClient, configuration: AlertsConfiguration = AlertsConfiguration(),
        clock: WallClock = .system, logger: Logger = Logger(label: "tickhub.alerts"),
        publish: @escaping @Sendable (AlertFired) -> Void, follow: @escaping @Sendable ([Instrument]) -> Void
    ) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.publish = publish
        self.follow = follow
        courier = AlertCourier(client: httpClient, store: store, configuration: configuration, clock: clock, logger: logger)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Loads the rules and what each had seen, follows their symbols and starts the worker. Expired rules stay in
    /// the database (listed as expired) but are not evaluated.
    public func start() async throws(StoreError) {
        let rules = try await store.alerts()
        let memories = try await store.alertMemories()
        let interrupted = try await store.failInterruptedAlertDeliveries()
        if interrupted > 0 { logger.notice("alerts: \(interrupted) deliveries were still retrying at the last stop; marked failed") }
        let now = clock.now()
        state.withLock { state in
            for rule in rules where !rule.hasExpired(at: now.milliseconds) {
                _ = state.evaluator.add(rule, memory: memories[rule.id], now: now)
                state.targets[rule.id] = rule.targets
            }
        }
        refollow()
        let task = Task { await self.work() }
        worker.withLock { $0 = task }
        logger.info("alerts: \(state.withLock { $0.evaluator.count }) rules in force of \(rules.count) stored")
    }

    /// Stops the worker once it has published and kept what is pending; deliveries still retrying are abandoned
    /// (their last attempt stays recorded, and the next start marks them failed).
    public func stop() async {
        wake.finish()
        await worker.withLock { $0 }?.value
    }

    /// Evaluates the quote against its symbol's rules. Called for every quote the hub publishes, on the thread
    /// that publishes it.
    public func observe(_ quote: Quote) {
        let now = clock.now()
        let wakeWorker = state.withLock { state -> Bool in
            var changed: [(id: String, memory: AlertMemory)] = []
            let before = state.evaluator.count
            let fired = state.evaluator.evaluate(quote, now: now, changed: &changed)
            let dropped = state.evaluator.count != before
            guard !fired.isEmpty || !changed.isEmpty || dropped else { return false }
            for firing in fired { state.fired.append((firing, state.targets[firing.id] ?? [])) }
            for (id, memory) in changed { state.memories[id] = memory }
            if dropped { state.rulesDropped = true }
            return Self.rouse(&state)
        }
        if wakeWorker { wake.yield() }
    }

    private static func rouse(_ state: inout State) -> Bool {
        guard !state.awake else { return false }
        state.awake = true
        return true
    }

    // MARK: Rules

    /// A rule stored and in force, with `current` (the symbol's quote the hub holds, if any) evaluated at once: an
    /// `above` rule whose condition already holds fires now, a `crosses` rule learns which side the price is on.
    public func create(_ draft: AlertDraft, current: Quote?) async throws(AlertDeskError) -> AlertRule {
        let count = state.withLock { $0.evaluator.count }
        guard count < configuration.maxRules else { throw .tooManyRules(configuration.maxRules) }
        if configuration.telegramBotToken == nil, draft.targets.contains(where: { if case .telegram = $0 { true } else { false } }) {
            throw .telegramNotConfigured
        }
        let live = current.flatMap { $0.stale ? nil : $0 }
        let rule: AlertRule
        do { rule = try await store.insertAlert(draft, currentPrice: live?.price) } catch { throw .store(error) }
        let now = clock.now()
        let wakeWorker = state.withLock { state -> Bool in
            let fired = state.evaluator.add(rule, current: current, now: now)
            state.targets[rule.id] = rule.targets
            if let memory = state.evaluator.memory(of: rule.id) { state.memories[rule.id] = memory }
            if let fired { state.fired.append((fired, rule.targets)) }
            return Self.rouse(&state)
        }
        if wakeWorker { wake.yield() }
        refollow()
        return rule
    }

    /// Deletes the rule; false when there is none.
    public func delete(id: String) async throws(AlertDeskError) -> Bool {
        do {
            try await store.deleteAlert(id: id)
        } catch .alertNotFound {
            return false
        } catch {
            throw .store(error)
        }
        state.withLock { state in
            state.evaluator.remove(id: id)
            state.targets[id] = nil
            state.memories[id] = nil
        }
        refollow()
        return true
    }

    /// Every stored rule, oldest first, with what it has seen (nil before anything was kept).
    public func rules() async throws(AlertDeskError) -> [(rule: AlertRule, memory: AlertMemory?)] {
        do {
            let rules = try await store.alerts()
            let stored = try await store.alertMemories()
            return state.withLock { state in rules.map { ($0, state.evaluator.memory(of: $0.id) ?? stored[$0.id]) } }
        } catch {
            throw .store(error)
        }
    }

    /// The rule with `id` and its memory, or nil.
    public func rule(id: String) async throws(AlertDeskError) -> (rule: AlertRule, memory: AlertMemory?)? {
        do {
            guard let rule = try await store.alert(id: id) else { return nil }
            if let memory = state.withLock({ $0.evaluator.memory(of: id) }) { return (rule, memory) }
            return (rule, try await store.alertMemories()[id])
        } catch {
            throw .store(error)
        }
    }

    /// The newest deliveries first, with every attempt.
    public func deliveries(alertId: String? = nil, limit: Int = 100) async throws(AlertDeskError) -> [AlertDelivery] {
        do { return try await store.alertDeliveries(alertId: alertId, limit: limit) } catch { throw .store(error) }
    }

    /// How many rules are evaluated now (expired ones are not).
    public var rulesInForce: Int { state.withLock { $0.evaluator.count } }

    // MARK: Worker

    private func work() async {
        await withDiscardingTaskGroup { group in
            for await _ in wakes {
                let (fired, memories, dropped) = state.withLock { state in
                    defer {
                        state.fired = []
                        state.memories = [:]
                        state.rulesDropped = false
                        state.awake = false
                    }
                    return (state.fired, state.memories, state.rulesDropped)
                }
                for (firing, _) in fired { publish(firing) }
                if !memories.isEmpty {
                    do { try await store.saveAlertMemories(memories) } catch {
                        logger.error("cannot keep the alert rules' state: \(error)")
                    }
                }
                if dropped { refollow() }
                guard fired.contains(where: { !$0.targets.isEmpty }) else { continue }
                do { try await store.pruneAlertDeliveries(keeping: configuration.deliveriesKept) } catch {
                    logger.error("cannot prune old alert deliveries: \(error)")
                }
                for (firing, targets) in fired {
                    for target in targets { group.addTask { await self.courier.deliver(firing, to: target) } }
                }
            }
            group.cancelAll()
        }
    }

    /// Hands the rules' symbols to `follow` when they changed.
    private func refollow() {
        followed.withLock { followed in
            let symbols = Set(state.withLock { $0.evaluator.rules.map(\.symbol) })
            guard symbols != followed else { return }
            followed = symbols
            follow(symbols.sorted().compactMap { try? SymbolGrammar.parse($0) })
        }
    }
}
