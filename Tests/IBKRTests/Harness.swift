import IBKR
import TWSSimulator
import TickhubCore
import SimulatorTestSupport
import Testing

/// A wait that did not end in time: thrown, so the test fails with what it was waiting for.
struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Generous, since a loaded two-core machine can be slow; a passing test never waits this long.
let defaultTimeout: Duration = .seconds(10)

// MARK: Harness

/// One running simulator and one provider connected to it, and the provider's events as they arrived.
struct Harness: Sendable {
    let simulator: GatewaySimulator
    let provider: IBKRProvider
    let port: Int
    let events: EventLog

    /// A second provider on the same simulator, stopped when `body` returns or throws.
    func withSecondProvider(
        _ configure: (inout IBKRConfiguration) -> Void = { _ in },
        _ body: (IBKRProvider, EventLog) async throws -> Void
    ) async throws {
        var configuration = testProviderConfiguration(port: port)
        configure(&configuration)
        let provider = IBKRProvider(configuration: configuration)
        let log = await EventLog.recording(provider)
        await provider.start()
        do {
            try await body(provider, log)
        } catch {
            await provider.stop()
            await log.stop()
            throw error
        }
        await provider.stop()
        await log.stop()
    }
}

/// The provider settings every integration test starts from: the simulator's port and a quick reconnect.
func testProviderConfiguration(port: Int) -> IBKRConfiguration {
    var configuration = IBKRConfiguration()
    configuration.port = port
    configuration.clientId = 1
    configuration.reconnectInitialSeconds = 0.1
    configuration.reconnectCapSeconds = 1
    configuration.resumeCheckSeconds = 1
    configuration.connectTimeoutSeconds = 5
    return configuration
}

/// Runs `body` against a fresh simulator on a free loopback port and a started provider connected to it;
/// always stops both afterwards. With `subscribe`, those instruments are subscribed before `body` runs.
///
/// At most `simulatorSlots.limit` of these run at once: each has two threads and a tick timer, and a
/// two-core machine stays responsive (and timing assertions stay meaningful) with a few, not thirty.
func withSimulatorAndProvider(
    simulator configureSimulator: (inout SimulatorConfiguration) -> Void = { _ in },
    provider configureProvider: (inout IBKRConfiguration) -> Void = { _ in },
    subscribe instruments: [Instrument] = [],
    _ body: (Harness) async throws -> Void
) async throws {
    try await simulatorSlots.holding { try await runHarness(configureSimulator, configureProvider, instruments, body) }
}

/// Simulator-and-provider pairs alive at once.
let simulatorSlots = SimulatorSlots(limit: 3)

private func runHarness(
    _ configureSimulator: (inout SimulatorConfiguration) -> Void,
    _ configureProvider: (inout IBKRConfiguration) -> Void,
    _ instruments: [Instrument],
    _ body: (Harness) async throws -> Void
) async throws {
    var simulatorConfiguration = SimulatorConfiguration()
    simulatorConfiguration.port = 0
    // Enough ticks for every test, and few enough that a debug build on two cores keeps up with several at once.
    simulatorConfiguration.ticksPerSecond = 500
    // Inside the US session, so that every market streams whatever day the tests run on.
    simulatorConfiguration.clock = OpenMarket.wednesdayMorning
    configureSimulator(&simulatorConfiguration)
    let simulator = GatewaySimulator(configuration: simulatorConfiguration)
    let port: Int
    do {
        port = try await simulator.start()
    } catch {
        await simulator.stop()
        throw error
    }
    var providerConfiguration = testProviderConfiguration(port: port)
    configureProvider(&providerConfiguration)
    let provider = IBKRProvider(configuration: providerConfiguration)
    let log = await EventLog.recording(provider)
    let harness = Harness(simulator: simulator, provider: provider, port: port, events: log)
    do {
        await provider.start()
        if !instruments.isEmpty { await provider.subscribe(instruments) }
        try await body(harness)
    } catch {
        await provider.stop()
        await log.stop()
        await simulator.stop()
        throw error
    }
    await provider.stop()
    await log.stop()
    await simulator.stop()
}

// MARK: Events

/// Everything a provider's `events()` stream delivered, in order, with a read cursor and bounded waits.
///
/// A single task drains the stream into this log, so a wait that times out never cancels the stream itself
/// (cancelling an `AsyncStream` consumer terminates the stream).
actor EventLog {
    private struct Waiter {
        var predicate: @Sendable (IBKREvent) -> Bool
        var continuation: CheckedContinuation<[IBKREvent], any Error>
        var timeout: Task<Void, Never>
    }

    private(set) var items: [IBKREvent] = []
    private var cursor = 0
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiterID = 0
    private var consumer: Task<Void, Never>?

    /// A log fed by a new `events()` stream of `provider`; subscribe before `start()` to see every event.
    static func recording(_ provider: IBKRProvider) async -> EventLog {
        let log = EventLog()
        let stream = await provider.events()
        await log.consume(stream)
        return log
    }

    private func consume(_ stream: AsyncStream<IBKREvent>) {
        consumer = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                await self.append(event)
            }
        }
    }

    func stop() {
        consumer?.cancel()
        consumer = nil
        for (_, waiter) in waiters {
            waiter.timeout.cancel()
            waiter.continuation.resume(throwing: CancellationError())
        }
        waiters = [:]
    }

    private func append(_ event: IBKREvent) {
        items.append(event)
        for (id, waiter) in waiters.sorted(by: { $0.key < $1.key }) where waiter.predicate(event) {
            waiters[id] = nil
            waiter.timeout.cancel()
            let taken = Array(items[cursor...])
            cursor = items.count
            waiter.continuation.resume(returning: taken)
            // One waiter consumes an event; the others keep waiting for a later one.
            break
        }
    }

    /// Moves the cursor past everything received so far: later waits only see events from now on.
    func skip() {
        cursor = items.count
    }

    /// Every event from the cursor up to and including the first that matches; moves the cursor past it.
    func collect(
        timeout: Duration = defaultTimeout, _ what: String,
        until predicate: @escaping @Sendable (IBKREvent) -> Bool
    ) async throws -> [IBKREvent] {
        if let index = items[cursor...].firstIndex(where: predicate) {
            let taken = Array(items[cursor...index])
            cursor = index + 1
            return taken
        }
        let id = nextWaiterID
        nextWaiterID += 1
        return try await withCheckedThrowingContinuation { continuation in
            let timeoutTask = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                await self?.expire(id, what: "\(what) (after \(timeout))")
            }
            waiters[id] = Waiter(predicate: predicate, continuation: continuation, timeout: timeoutTask)
        }
    }

    private func expire(_ id: Int, what: String) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(throwing: TestTimeout(what: what))
    }
}

extension EventLog {
    /// The first event from the cursor that matches; earlier ones are skipped.
    @discardableResult
    func awaitEvent(
        _ what: String = "a matching event", timeout: Duration = defaultTimeout,
        where predicate: @escaping @Sendable (IBKREvent) -> Bool
    ) async throws -> IBKREvent {
        try await collect(timeout: timeout, what, until: predicate).last!
    }

    /// The next connection event whose state matches; returns the status it carried.
    @discardableResult
    func awaitConnection(
        _ what: String, timeout: Duration = defaultTimeout,
        where predicate: @escaping @Sendable (BrokerConnectionStatus) -> Bool
    ) async throws -> BrokerConnectionStatus {
        let event = try await awaitEvent("connection \(what)", timeout: timeout) {
            if case let .connection(status) = $0 { predicate(status) } else { false }
        }
        guard case let .connection(status) = event else { preconditionFailure() }
        return status
    }

    @discardableResult
    func awaitState(_ state: BrokerConnectionState, timeout: Duration = defaultTimeout) async throws -> BrokerConnectionStatus {
        try await awaitConnection("state \(state)", timeout: timeout) { $0.state == state }
    }

    /// Waits until every symbol has had a quote event that is fresh (not stale, with a bid and an ask, or a
    /// last) and satisfies `extra`; returns the first such quote of each.
    @discardableResult
    func awaitFreshQuotes(
        _ symbols: [String], timeout: Duration = defaultTimeout,
        where extra: @escaping @Sendable (Quote) -> Bool = { _ in true }
    ) async throws -> [String: Quote] {
        let deadline = ContinuousClock.now + timeout
        var found: [String: Quote] = [:]
        while found.count < Set(symbols).count {
            let missing = Set(symbols).subtracting(found.keys)
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw TestTimeout(what: "fresh quotes for \(missing.sorted()) (after \(timeout))")
            }
            let event = try await awaitEvent("fresh quotes for \(missing.sorted())", timeout: remaining) {
                guard case let .quote(quote) = $0 else { return false }
                return missing.contains(quote.symbol) && quote.isFresh && extra(quote)
            }
            if case let .quote(quote) = event { found[quote.symbol] = quote }
        }
        return found
    }

    /// Waits until each named predicate has matched an event, in whatever order they come; returns the first
    /// match of each by name. Events matching none of the outstanding predicates are skipped.
    @discardableResult
    func awaitAll(
        timeout: Duration = defaultTimeout, _ expectations: [String: @Sendable (IBKREvent) -> Bool]
    ) async throws -> [String: IBKREvent] {
        let deadline = ContinuousClock.now + timeout
        var found: [String: IBKREvent] = [:]
        while found.count < expectations.count {
            let missing = expectations.filter { found[$0.key] == nil }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw TestTimeout(what: "\(missing.keys.sorted()) (after \(timeout))") }
            let predicates = Array(missing.values)
            let event = try await awaitEvent("\(missing.keys.sorted())", timeout: remaining) { event in
                predicates.contains { $0(event) }
            }
            for (name, predicate) in missing where predicate(event) { found[name] = event }
        }
        return found
    }

    /// Watches for `duration` and fails if a matching event arrives: for "nothing happens" assertions.
    func expectNoEvent(
        _ what: String, for duration: Duration, where predicate: @escaping @Sendable (IBKREvent) -> Bool
    ) async throws {
        do {
            let event = try await awaitEvent(what, timeout: duration, where: predicate)
            Issue.record("unexpected \(what): \(event)")
        } catch is TestTimeout {
            // Nothing matched in the window: as expected.
        }
    }
}

extension Quote {
    /// Live-looking: not stale, and priced (both sides of the book, or a last trade).
    var isFresh: Bool { !stale && ((bid != nil && ask != nil) || last != nil) }
}

extension IBKREvent {
    var quote: Quote? {
        if case let .quote(quote) = self { return quote }
        return nil
    }

    var connectionState: BrokerConnectionState? {
        if case let .connection(status) = self { return status.state }
        return nil
    }
}

// MARK: Polling and timing

/// Polls `condition` every 20 ms until it holds; throws `TestTimeout` if it does not within `timeout`.
/// For state with no event of its own (simulator status, provider status).
func poll(
    _ what: String, timeout: Duration = defaultTimeout, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: "\(what) (after \(timeout))") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension Duration {
    /// Seconds as a Double, for printing and comparisons.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// Prints a recovery figure in one greppable line.
func reportRecovery(_ fault: String, _ elapsed: Duration, symbols: Int) {
    print("recovery \(fault): \(String(format: "%.3f", elapsed.seconds)) s to fresh quotes for all \(symbols) symbols")
}

/// Instruments the integration tests use.
enum Instruments {
    static let aapl = Instrument.stock("AAPL")
    static let msft = Instrument.stock("MSFT")
    static let eurusd = Instrument.forex(base: "EUR", quote: "USD")
    static let btc = Instrument.crypto("BTC")
    static var spyCall: Instrument { try! SymbolGrammar.parse("SPY 271217C00600000") }
    /// A stock, FX, crypto and an option.
    static var mixed: [Instrument] { [aapl, eurusd, btc, spyCall] }
}
