import Foundation
import MarketData
import Testing
import TickhubCore

@Suite("PushProvider")
struct PushProviderTests {
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [ProviderEvent] = []
        func add(_ event: ProviderEvent) { lock.withLock { list.append(event) } }
        var all: [ProviderEvent] { lock.withLock { list } }
        var quotes: [Quote] { all.compactMap { if case let .quote(q) = $0 { q } else { nil } } }
        func states(_ symbol: String) -> [ProviderSymbolState] {
            all.compactMap { if case let .symbol(s, state) = $0, s == symbol { state } else { nil } }
        }
        var health: [ProviderHealth] { all.compactMap { if case let .health(h) = $0 { h } else { nil } } }
    }

    func provider(staleSeconds: Double = 30) async -> (PushProvider, Events) {
        var configuration = PushProvider.Configuration()
        configuration.enabled = true
        configuration.staleSeconds = staleSeconds
        let provider = PushProvider(configuration: configuration)
        let events = Events()
        await provider.start { events.add($0) }
        return (provider, events)
    }

    func patch(_ symbol: String, bid: Double) -> QuotePatch {
        var patch = QuotePatch(symbol: symbol)
        patch.bid = .some(bid)
        return patch
    }

    static func now() -> Timestamp { WallClock.system.now() }

    @Test func quotesFlowOnlyForWantedSymbols() async throws {
        let (push, events) = await provider()
        push.publisherConnected(1)
        #expect(events.health.last?.state == .ready)
        await push.subscribe([try SymbolGrammar.parse("ACME")])
        #expect(events.states("ACME") == [.unavailable("no publisher is sending it")])
        push.ingest([patch("ACME", bid: 1), patch("OTHER", bid: 2)], publisher: 1, receivedAt: Self.now())
        #expect(events.states("ACME").last == .serving)
        #expect(events.quotes.map(\.symbol) == ["ACME"])
        // A symbol already pushed is served at once when someone asks for it.
        await push.subscribe([try SymbolGrammar.parse("OTHER")])
        #expect(events.quotes.map(\.symbol) == ["ACME", "OTHER"])
        #expect(events.quotes.last?.bid == 2)
        await push.stop()
    }

    /// Each patch is checked against the quote it lands on, in batch order: one that would cross the standing book
    /// is refused alone and leaves the quote as it was; the rest of the batch is taken.
    @Test func aPatchThatWouldCrossTheStandingBookIsRefusedAlone() async throws {
        let (push, events) = await provider()
        push.publisherConnected(1)
        await push.subscribe([try SymbolGrammar.parse("ACME")])
        var book = QuotePatch(symbol: "ACME")
        (book.bid, book.ask, book.high, book.low) = (.some(10), .some(10.5), .some(11), .some(9))
        var askOnly = QuotePatch(symbol: "ACME")
        askOnly.ask = .some(10.6)
        var lowAboveHigh = QuotePatch(symbol: "ACME")
        lowAboveHigh.low = .some(12)
        let refused = push.ingest([book, patch("ACME", bid: 10.7), lowAboveHigh, askOnly], publisher: 1, receivedAt: Self.now())
        #expect(refused.map(\.position) == [1, 2])
        #expect(refused.first?.reason == "ACME: crossed book: bid 10.7 would be above ask 10.5")
        #expect(refused.last?.reason == "ACME: low 12.0 would be above high 11.0")
        let last = try #require(events.quotes.last)
        #expect((last.bid, last.ask, last.low) == (10, 10.6, 9))
        #expect(events.quotes.count == 2)
        await push.stop()
    }

    @Test func aDisconnectedPublishersSymbolsBecomeUnavailable() async throws {
        let (push, events) = await provider()
        push.publisherConnected(1)
        push.publisherConnected(2)
        await push.subscribe([try SymbolGrammar.parse("A"), try SymbolGrammar.parse("B")])
        push.ingest([patch("A", bid: 1)], publisher: 1, receivedAt: Self.now())
        push.ingest([patch("B", bid: 1)], publisher: 2, receivedAt: Self.now())
        push.publisherDisconnected(1)
        #expect(events.states("A").last == .unavailable("its publisher disconnected"))
        #expect(events.states("B").last == .serving)
        #expect(events.health.last?.available == true)
        push.publisherDisconnected(2)
        #expect(events.states("B").last == .unavailable("its publisher disconnected"))
        #expect(events.health.last?.state == .idle && events.health.last?.available == false)
        await push.stop()
    }

    @Test func postedQuotesExpire() async throws {
        let (push, events) = await provider(staleSeconds: 0.2)
        await push.subscribe([try SymbolGrammar.parse("A")])
        push.ingest([patch("A", bid: 1)], publisher: nil, receivedAt: Self.now())
        #expect(events.states("A").last == .serving)
        #expect(events.health.last?.state == .ready)
        // The provider looks once a second; a test run that keeps both cores busy can hold its task back for seconds.
        let deadline = Date().addingTimeInterval(20)
        while events.states("A").last == .serving, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(events.states("A").last == .unavailable("no update posted for 0.2 s"))
        #expect(events.health.last?.available == false)
        await push.stop()
    }

    @Test func disabledWithoutAToken() async throws {
        let push = PushProvider(configuration: PushProvider.Configuration())
        let events = Events()
        await push.start { events.add($0) }
        #expect(events.health.last?.state == .disabled && events.health.last?.available == false)
        await push.subscribe([try SymbolGrammar.parse("A")])
        #expect(events.states("A") == [.unavailable("publishing is disabled")])
    }
}
