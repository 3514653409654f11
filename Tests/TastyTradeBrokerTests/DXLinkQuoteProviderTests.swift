import Foundation
import MarketData
import NIOConcurrencyHelpers
import TWSSimulator
import TastyTrade
import TickhubCore
import Testing

@testable import TastyTradeBroker

/// The DXLink provider against the simulated TastyTrade's DXLink, which quotes the same simulated market as its TWS.
@Suite("TastyTrade quotes over DXLink", .serialized)
struct DXLinkQuoteProviderTests {
    static let option = "SPY 271217C00600000"

    @Test func stocksOptionsAndCoinsQuoteAndForexIsUnknown() async throws {
        try await withDXLinkProvider { harness in
            try await harness.health(.ready)
            let instruments = try ["AAPL", Self.option, "BTC", "EUR.USD"].map { try SymbolGrammar.parse($0) }
            await harness.provider.subscribe(instruments)
            try await harness.events.first("EUR.USD unknown") {
                if case .symbol("EUR.USD", .unknown) = $0 { true } else { false }
            }
            let aapl = try await harness.quote("AAPL") { $0.bid != nil && $0.ask != nil && $0.last != nil && $0.close != nil }
            #expect(aapl.source == .tastytrade && !aapl.delayed)
            #expect(try #require(aapl.bid) < (try #require(aapl.ask)))
            #expect((aapl.volume ?? 0) > 0 && aapl.open != nil && aapl.high != nil && aapl.low != nil)
            let option = try await harness.quote(Self.option) { $0.bid != nil && $0.ask != nil && $0.greeks?.delta != nil }
            #expect(try #require(option.bid) <= (try #require(option.ask)))
            let delta = try #require(option.greeks?.delta)
            #expect(delta > 0 && delta < 1, "a call's delta")
            #expect((option.greeks?.impliedVolatility ?? 0) > 0)
            let coin = try await harness.quote("BTC") { $0.bid != nil }
            #expect((coin.bid ?? 0) > 1000)
            #expect(!harness.events.items.contains { if case let .quote(quote) = $0 { quote.symbol == "EUR.USD" } else { false } })
            let status = try await harness.tastyTrade.status()
            #expect(status.dxLinkSubscriptions == 10, "three symbols, three event types each, and the option's Greeks")
        }
    }

    @Test func aRevokedQuoteTokenIsReplacedOnceAndQuotesResume() async throws {
        try await withDXLinkProvider { harness in
            await harness.provider.subscribe([.stock("AAPL")])
            try await harness.quote("AAPL")
            #expect(harness.tokensAsked.withLockedValue { $0 } == 1)
            let before = harness.events.count
            await harness.tastyTrade.inject(.dxLinkUnauthorized)
            try await harness.quote("AAPL", from: before, stale: true)
            try await harness.health(.reconnecting, from: before) { $0.detail?.contains("new quote token") == true && !$0.available }
            let staleAt = harness.events.count
            try await harness.quote("AAPL", from: staleAt)
            try await harness.health(.ready, from: before)
            #expect(harness.tokensAsked.withLockedValue { $0 } == 2)
            #expect(try await harness.tastyTrade.status().dxLinkSockets == 1, "the same link, authorized again")
        }
    }

    @Test func aTokenRefusedTwiceIsReportedWithTheReasonAndNotRetriedInALoop() async throws {
        try await withDXLinkProvider(token: { real in
            var token = try await real()
            token.token = "not-a-quote-token"
            return token
        }) { harness in
            await harness.provider.subscribe([.stock("AAPL")])
            let health = try await harness.health(.error)
            #expect(!health.available)
            #expect(health.detail?.contains("refused") == true, "\(health.detail ?? "")")
            try await harness.events.first("AAPL unavailable") {
                if case let .symbol("AAPL", .unavailable(reason)) = $0 { reason.contains("refused") } else { false }
            }
            #expect(harness.tokensAsked.withLockedValue { $0 } == 2, "the first token and one replacement, no more")
        }
    }

    @Test func aDroppedLinkReconnectsAndSubscribesAgain() async throws {
        try await withDXLinkProvider { harness in
            await harness.provider.subscribe([.stock("AAPL"), .stock("MSFT")])
            try await harness.quote("AAPL")
            try await harness.quote("MSFT")
            let before = harness.events.count
            await harness.tastyTrade.inject(.dropDXLink)
            try await harness.quote("AAPL", from: before, stale: true)
            try await harness.quote("MSFT", from: before, stale: true)
            try await harness.health(.reconnecting, from: before) { $0.detail?.contains("reconnecting in") == true }
            try await harness.quote("AAPL", from: before)
            try await harness.quote("MSFT", from: before)
            try await harness.health(.ready, from: before)
            #expect(harness.tokensAsked.withLockedValue { $0 } == 1, "a lost link keeps its quote token")
        }
    }

    @Test func anUnsubscribedSymbolLeavesTheFeed() async throws {
        try await withDXLinkProvider { harness in
            await harness.provider.subscribe([.stock("AAPL"), .stock("MSFT")])
            try await harness.quote("AAPL")
            try await harness.quote("MSFT")
            await harness.provider.unsubscribe(["AAPL"])
            // The simulator counts what each socket follows; it drops to MSFT's three within a bounded wait.
            var subscriptions = -1
            for _ in 0..<50 {
                subscriptions = try await harness.tastyTrade.status().dxLinkSubscriptions
                if subscriptions == 3 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(subscriptions == 3)
            let after = harness.events.count
            try await harness.quote("MSFT", from: after)
            #expect(!harness.events.items.dropFirst(after).contains { if case let .quote(quote) = $0 { quote.symbol == "AAPL" } else { false } })
        }
    }

    @Test func aDemoLevelTokenGivesDelayedQuotes() async throws {
        try await withDXLinkProvider(simulated: { $0.quoteLevel = "demo" }) { harness in
            let health = try await harness.health(.ready)
            #expect(health.detail?.contains("delayed") == true)
            await harness.provider.subscribe([.stock("AAPL")])
            #expect(try await harness.quote("AAPL").delayed)
        }
    }
}

/// The provider against a scripted DXLink on loopback: keepalives, and a server that goes silent.
@Suite("TastyTrade quotes: keepalive", .serialized)
struct DXLinkKeepaliveTests {
    static func provider(port: Int, _ configure: (inout TastyTradeQuoteProvider.Configuration) -> Void)
        -> (TastyTradeQuoteProvider, Mailbox<ProviderEvent>)
    {
        var configuration = DXLinkProviderHarness.fast()
        configure(&configuration)
        let provider = TastyTradeQuoteProvider(configuration: configuration) {
            DXLinkToken(token: "t", url: "ws://127.0.0.1:\(port)/ws", level: "api")
        }
        return (provider, Mailbox<ProviderEvent>())
    }

    @Test func aSilentServerIsDroppedAndConnectedAgain() async throws {
        // Answers nothing, ever.
        let server = try await LoopbackWebSocketServer { _ in [] }
        let (provider, events) = Self.provider(port: server.port) {
            $0.keepaliveTimeoutSeconds = 1
            $0.keepaliveSeconds = 30
        }
        await provider.start { events.put($0) }
        let started = ContinuousClock.now
        let health = try await events.first("silence reported", timeout: .seconds(10)) {
            if case let .health(health) = $0 { health.detail?.contains("silent") == true } else { false }
        }
        #expect(health.at - started >= .seconds(1), "not before the timeout")
        try await events.first("a second connection", timeout: .seconds(10)) { _ in server.received.filter { $0.contains("\"SETUP\"") }.count >= 2 }
            .ignore()
        await provider.stop()
        await server.stop()
    }

    @Test func keepalivesKeepALinkWhoseServerOnlyAnswersThem() async throws {
        // Answers SETUP and each KEEPALIVE, nothing else: only the provider's keepalives keep it talking.
        let server = try await LoopbackWebSocketServer { text in
            if text.contains("\"SETUP\"") { return [.text(DXLinkMessage.setup(version: "1", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60).json)] }
            if text.contains("\"KEEPALIVE\"") { return [.text(DXLinkMessage.keepalive(channel: 0).json)] }
            return []
        }
        let (provider, events) = Self.provider(port: server.port) {
            $0.keepaliveTimeoutSeconds = 1
            $0.keepaliveSeconds = 0.25
        }
        await provider.start { events.put($0) }
        // Three timeouts' worth: without the keepalives the link would have been dropped twice by now.
        try await Task.sleep(for: .seconds(3))
        let received = server.received
        await provider.stop()
        await server.stop()
        #expect(received.filter { $0.contains("\"SETUP\"") }.count == 1, "one connection all along")
        #expect(received.filter { $0.contains("\"KEEPALIVE\"") }.count >= 6)
        #expect(!events.items.contains { if case let .health(health) = $0 { health.state == .reconnecting } else { false } })
    }
}

extension Mailbox.Arrival {
    func ignore() {}
}
