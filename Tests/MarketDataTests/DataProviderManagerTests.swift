import Foundation
import MarketData
import Testing
import TickhubCore

/// A provider the test drives by hand: it records what the manager asks of it and emits what the test says.
final class ScriptedProvider: MarketDataProvider, @unchecked Sendable {
    let name: QuoteSource
    private let lock = NSLock()
    private var sink: (@Sendable (ProviderEvent) -> Void)?
    private(set) var subscribed: Set<String> = []

    init(_ name: QuoteSource) { self.name = name }

    func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async { lock.withLock { self.sink = sink } }
    func subscribe(_ instruments: [Instrument]) async { lock.withLock { instruments.forEach { subscribed.insert($0.symbol) } } }
    func unsubscribe(_ symbols: [String]) async { lock.withLock { symbols.forEach { subscribed.remove($0) } } }
    func stop() async {}

    var isSubscribed: (String) -> Bool { { symbol in self.lock.withLock { self.subscribed.contains(symbol) } } }

    func emit(_ event: ProviderEvent) { lock.withLock { sink }?(event) }

    func quote(_ symbol: String, _ price: Double, stale: Bool = false) {
        var quote = Quote(symbol: symbol, source: name, timestamp: Int64(Date().timeIntervalSince1970 * 1000), stale: stale)
        quote.last = price
        emit(.quote(quote))
    }
}

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ManagerEvent] = []
    func add(_ event: ManagerEvent) { lock.withLock { events.append(event) } }
    var all: [ManagerEvent] { lock.withLock { events } }
}

/// Waits for a condition that the manager's own threads will make true; bounded.
func eventually(_ what: String, timeout: Double = 5, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { Issue.record("timed out waiting for \(what)"); throw CancellationError() }
        try await Task.sleep(for: .milliseconds(10))
    }
}

@Suite("Provider manager")
struct DataProviderManagerTests {
    let ibkr = ScriptedProvider(.ibkr)
    let yahoo = ScriptedProvider(.yahoo)
    let alpha = ScriptedProvider(.alphaVantage)
    let recorder = Recorder()

    func makeManager() async -> DataProviderManager {
        var configuration = DataProviderManager.Configuration()
        configuration.policy = SourceSelector.Policy(order: [.ibkr, .yahoo, .alphaVantage], failbackSeconds: 0.3, silenceSeconds: 60)
        configuration.evaluationInterval = .milliseconds(20)
        let recorder = recorder
        let manager = DataProviderManager(configuration: configuration, providers: [ibkr, yahoo, alpha]) { recorder.add($0) }
        await manager.start()
        return manager
    }

    func quotes(from source: QuoteSource, _ symbol: String) -> [Quote] {
        recorder.all.compactMap {
            if case let .quote(q) = $0, q.symbol == symbol, q.source == source { return q }
            return nil
        }
    }

    func changes(_ symbol: String) -> [(QuoteSource?, QuoteSource?)] {
        recorder.all.compactMap {
            if case let .sourceChanged(s, from, to, _) = $0, s == symbol { return (from, to) }
            return nil
        }
    }

    @Test func ibkrServesAndFallbacksStayIdle() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("AAPL")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("AAPL") }
        ibkr.quote("AAPL", 230)
        try await eventually("an IBKR quote forwarded") { !quotes(from: .ibkr, "AAPL").isEmpty }
        #expect(!yahoo.isSubscribed("AAPL") && !alpha.isSubscribed("AAPL"))
        #expect(manager.sources()["AAPL"] == .some(.ibkr))
        await manager.stop()
    }

    @Test func failsOverToYahooThenAlphaVantageAndBack() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("AAPL")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("AAPL") }
        ibkr.quote("AAPL", 230)

        // IBKR goes down: Yahoo is asked at once, and its quotes are what clients see.
        ibkr.emit(.health(ProviderHealth(name: .ibkr, state: .disconnected, available: false)))
        try await eventually("Yahoo subscription") { yahoo.isSubscribed("AAPL") }
        yahoo.quote("AAPL", 229.5)
        try await eventually("a Yahoo quote forwarded") { !quotes(from: .yahoo, "AAPL").isEmpty }
        #expect(changes("AAPL").contains { $0.0 == .ibkr && $0.1 == .yahoo })
        #expect(!alpha.isSubscribed("AAPL"))

        // Yahoo rate-limited: Alpha Vantage is the last resort.
        yahoo.emit(.health(ProviderHealth(name: .yahoo, state: .rateLimited, available: false)))
        try await eventually("Alpha Vantage subscription") { alpha.isSubscribed("AAPL") }
        alpha.quote("AAPL", 229)
        try await eventually("an Alpha Vantage quote forwarded") { !quotes(from: .alphaVantage, "AAPL").isEmpty }

        // IBKR back and steady: fail back; the fallbacks are let go.
        ibkr.emit(.health(ProviderHealth(name: .ibkr, state: .ready, available: true)))
        for _ in 0..<40 {
            ibkr.quote("AAPL", 231)
            if manager.sources()["AAPL"] == .some(.ibkr) { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(manager.sources()["AAPL"] == .some(.ibkr))
        try await eventually("fallbacks released") { !alpha.isSubscribed("AAPL") && !yahoo.isSubscribed("AAPL") }
        await manager.stop()
    }

    @Test func providersGoingDownOnTheWayOutAreNoFailover() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("AAPL")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("AAPL") }
        ibkr.quote("AAPL", 230)
        try await eventually("an IBKR quote forwarded") { !quotes(from: .ibkr, "AAPL").isEmpty }
        await manager.stop()
        let before = recorder.all.count
        // What a provider reports as it closes (the sink is called on the emitting thread, so this is synchronous).
        ibkr.emit(.health(ProviderHealth(name: .ibkr, state: .disconnected, available: false)))
        ibkr.quote("AAPL", 231)
        #expect(recorder.all.count == before)
        #expect(!changes("AAPL").contains { $0.1 != .ibkr })
        #expect(!yahoo.isSubscribed("AAPL"))
    }

    @Test func quotesFromANonCurrentSourceAreNotForwarded() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("MSFT")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("MSFT") }
        ibkr.quote("MSFT", 420)
        yahoo.quote("MSFT", 400)  // unsolicited, not the current source
        try await eventually("the IBKR quote") { !quotes(from: .ibkr, "MSFT").isEmpty }
        #expect(quotes(from: .yahoo, "MSFT").isEmpty)
        await manager.stop()
    }

    @Test func withNoSourceLeftTheLastQuoteIsResentStale() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("IBM")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("IBM") }
        ibkr.quote("IBM", 210)
        for provider in [ibkr, yahoo, alpha] {
            provider.emit(.health(ProviderHealth(name: provider.name, state: .disconnected, available: false)))
        }
        try await eventually("a stale re-send") { quotes(from: .ibkr, "IBM").contains { $0.stale } }
        #expect(changes("IBM").last.map { $0.1 == nil } == true)
        await manager.stop()
    }

    @Test func unknownEverywhereIsReportedOnce() async throws {
        let manager = await makeManager()
        manager.subscribe([.stock("ZZZZ")])
        try await eventually("IBKR subscription") { ibkr.isSubscribed("ZZZZ") }
        ibkr.emit(.symbol("ZZZZ", .unknown))
        try await eventually("Yahoo asked") { yahoo.isSubscribed("ZZZZ") }
        yahoo.emit(.symbol("ZZZZ", .unknown))
        try await eventually("Alpha Vantage asked") { alpha.isSubscribed("ZZZZ") }
        alpha.emit(.symbol("ZZZZ", .unknown))
        try await eventually("unknown reported") {
            recorder.all.contains { if case .unknownSymbol("ZZZZ") = $0 { return true } else { return false } }
        }
        let reports = recorder.all.filter { if case .unknownSymbol = $0 { return true } else { return false } }
        #expect(reports.count == 1)
        await manager.stop()
    }
}
