import Foundation
import Testing
import TWSSimulator
import TastyTrade
import TickhubCore

/// The simulated DXLink over a real WebSocket: the session as dxLink's specification orders it, COMPACT data in
/// FEED_CONFIG's field order from the simulator's market, and the quote token refused.
@Suite("TastyTrade simulator DXLink")
struct TastyTradeDXLinkTests {
    /// A DXLink session through AUTH, with FEED channel 3 set up for `fields`; returns the socket and the FEED_CONFIG.
    static func session(
        _ tt: TastyTradeHarness, fields: [String: [String]] = DXLinkEvent.requestedFields
    ) async throws -> (socket: StreamTestClient, config: [String: [String]], quoteToken: String) {
        let access = try await tt.accessToken()
        let quote = try DXLinkToken(json: try await tt.get("/api-quote-tokens", token: access).bytes)
        let socket = try await tt.socket("/dxlink")
        try await socket.send(DXLinkMessage.setup(version: "0.1-test", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60).json)
        _ = try await next(socket, "SETUP") { if case .setup = $0 { true } else { false } }
        _ = try await next(socket, "AUTH_STATE UNAUTHORIZED") { $0 == .authState(state: "UNAUTHORIZED", userID: nil) }
        try await socket.send(DXLinkMessage.auth(token: quote.token).json)
        _ = try await next(socket, "AUTH_STATE AUTHORIZED") { if case .authState("AUTHORIZED", _) = $0 { true } else { false } }
        try await socket.send(DXLinkMessage.channelRequest(channel: 3, service: "FEED", parameters: ["contract": "AUTO"]).json)
        _ = try await next(socket, "CHANNEL_OPENED") { if case .channelOpened(3, "FEED", _) = $0 { true } else { false } }
        try await socket.send(DXLinkMessage.feedSetup(
            channel: 3, acceptAggregationPeriod: 0.1, acceptDataFormat: "COMPACT", acceptEventFields: fields).json)
        let config = try await next(socket, "FEED_CONFIG") { if case .feedConfig(3, "COMPACT", _, _) = $0 { true } else { false } }
        guard case let .feedConfig(_, _, _, eventFields) = config.message else { throw TestTimeout(what: "FEED_CONFIG") }
        return (socket, eventFields, quote.token)
    }

    static func next(
        _ socket: StreamTestClient, from: Int = 0, _ what: String, where match: @escaping @Sendable (DXLinkMessage) -> Bool
    ) async throws -> (index: Int, message: DXLinkMessage) {
        let found = try await socket.next(from: from, what) { text in (try? DXLinkMessage.decode(text)).map(match) ?? false }
        return (found.index, try DXLinkMessage.decode(found.text))
    }

    /// Events of FEED_DATA messages from `from` on until `enough` holds, decoded with the FEED_CONFIG's fields.
    static func events(
        _ socket: StreamTestClient, from: Int = 0, config: [String: [String]], _ what: String,
        until enough: @escaping @Sendable ([DXLinkEvent]) -> Bool
    ) async throws -> (index: Int, events: [DXLinkEvent]) {
        let collected = EventLog()
        let found = try await socket.next(from: from, what) { text in
            guard case let .feedData(_, data)? = try? DXLinkMessage.decode(text),
                  let events = try? DXLinkEvent.decode(data: data, eventFields: config)
            else { return false }
            return enough(collected.add(events))
        }
        return (found.index, collected.all)
    }

    @Test func quotesTradesAndSummariesFlowFromTheSimulatedMarket() async throws {
        try await withTastyTrade { tt in
            // Fields asked in an order of the test's own, which the FEED_CONFIG must repeat for the data to decode.
            var fields = DXLinkEvent.requestedFields
            fields["Quote"] = ["eventSymbol", "eventType", "askPrice", "bidPrice", "askSize", "bidSize", "noSuchField"]
            fields["Summary"] = ["eventType", "eventSymbol", "dayClosePrice", "prevDayClosePrice", "openInterest"]
            fields["Greeks"] = ["eventType", "eventSymbol", "delta", "volatility"]
            let (socket, config, _) = try await Self.session(tt, fields: fields)
            defer { Task { await socket.close() } }
            #expect(config["Quote"] == ["eventSymbol", "eventType", "askPrice", "bidPrice", "askSize", "bidSize"],
                    "the unknown field left out, the order kept")
            let option = try #require(TastySymbol.streamerSymbol(try SymbolGrammar.parse("SPY 271217C00600000")))
            #expect(option == ".SPY271217C600")
            try await socket.send(DXLinkMessage.feedSubscription(channel: 3, reset: true, add: [
                DXLinkSubscription(type: "Quote", symbol: "AAPL"), DXLinkSubscription(type: "Trade", symbol: "AAPL"),
                DXLinkSubscription(type: "Summary", symbol: "AAPL"), DXLinkSubscription(type: "Quote", symbol: option),
                DXLinkSubscription(type: "Greeks", symbol: option), DXLinkSubscription(type: "Quote", symbol: "BTC/USD:CXTALP"),
                DXLinkSubscription(type: "Quote", symbol: "/ESZ26:XCME"),
            ], remove: []).json)
            let first = try await Self.events(socket, config: config, "a quote of each symbol with data") { events in
                Set(events.filter { $0.type == "Quote" }.map(\.symbol)) == ["AAPL", option, "BTC/USD:CXTALP"]
                    && events.contains { $0.type == "Greeks" } && events.contains { $0.type == "Summary" }
                    && events.contains { $0.type == "Trade" }
            }
            for quote in first.events where quote.type == "Quote" {
                let bid = try #require(quote["bidPrice"]), ask = try #require(quote["askPrice"])
                #expect(bid < ask, "\(quote)")
            }
            let aapl = try #require(first.events.first { $0.type == "Quote" && $0.symbol == "AAPL" })
            #expect(abs((aapl["bidPrice"] ?? 0) / 230.10 - 1) < 0.05)
            let summary = try #require(first.events.first { $0.type == "Summary" })
            #expect(summary.values["dayClosePrice"] == .some(nil), "NaN until the day closes")
            #expect(summary["prevDayClosePrice"] != nil)
            let greeks = try #require(first.events.first { $0.type == "Greeks" })
            let delta = try #require(greeks["delta"])
            #expect(delta > 0 && delta < 1)
            #expect(!first.events.contains { $0.symbol.hasPrefix("/") }, "no data for a future the market lacks")

            // The market moves on: AAPL's quote changes within a few seconds (ticks at 500 a second).
            let moved = try await Self.events(socket, from: first.index + 1, config: config, "AAPL's quote moving") { events in
                events.contains { $0.type == "Quote" && $0.symbol == "AAPL" && ($0["bidPrice"] != aapl["bidPrice"] || $0["askPrice"] != aapl["askPrice"]) }
            }
            #expect(!moved.events.isEmpty)
            #expect(try await tt.tastyTrade.status().dxLinkSubscriptions == 7)
        }
    }

    @Test func theSameMarketAsThePositionsMarks() async throws {
        try await withTastyTrade { tt in
            let (socket, config, _) = try await Self.session(tt)
            defer { Task { await socket.close() } }
            try await socket.send(DXLinkMessage.feedSubscription(
                channel: 3, reset: false, add: [DXLinkSubscription(type: "Quote", symbol: "NVDA")], remove: []).json)
            _ = try await Self.events(socket, config: config, "NVDA's quote") { $0.contains { $0.symbol == "NVDA" } }
            // The TWS side's link lost, its market stands still: once DXLink has sent the last change (an
            // aggregation period later), the mark REST gives is the midpoint of the last quote DXLink sent. Asked
            // again until the two agree, at most 50 times over 5 s: a change still in flight is not a failure.
            await tt.simulator.inject(.connectivityLost)
            var mark = 0.0, mid = 0.0
            for _ in 0..<50 {
                let last = try #require(await Self.lastQuote(socket, symbol: "NVDA", config: config))
                mark = try #require(try await tt.tastyTrade.positions(account: "5WT00002").first { $0.symbol == "NVDA" }?.mark)
                mid = ((last["bidPrice"] ?? 0) + (last["askPrice"] ?? 0)) / 2
                if abs(mark - mid) < 0.006 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(abs(mark - mid) < 0.006, "mark \(mark), DXLink's midpoint \(mid)")
        }
    }

    static func lastQuote(_ socket: StreamTestClient, symbol: String, config: [String: [String]]) async -> DXLinkEvent? {
        for text in await socket.box.messages.reversed() {
            guard case let .feedData(_, data)? = try? DXLinkMessage.decode(text),
                  let events = try? DXLinkEvent.decode(data: data, eventFields: config),
                  let quote = events.last(where: { $0.type == "Quote" && $0.symbol == symbol })
            else { continue }
            return quote
        }
        return nil
    }

    @Test func aBadTokenAndMessagesBeforeAuthAreRefused() async throws {
        try await withTastyTrade { tt in
            let socket = try await tt.socket("/dxlink")
            defer { Task { await socket.close() } }
            try await socket.send(DXLinkMessage.channelRequest(channel: 1, service: "FEED", parameters: [:]).json)
            _ = try await Self.next(socket, "SETUP first") { if case .error(_, "BAD_ACTION", _) = $0 { true } else { false } }
            try await socket.send(DXLinkMessage.setup(version: "0.1-test", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60).json)
            try await socket.send(DXLinkMessage.auth(token: "made-up").json)
            let badToken = try await Self.next(socket, "UNAUTHORIZED") { if case .error(_, "UNAUTHORIZED", _) = $0 { true } else { false } }
            try await socket.send(DXLinkMessage.channelRequest(channel: 1, service: "FEED", parameters: [:]).json)
            _ = try await Self.next(socket, from: badToken.index + 1, "a channel refused without AUTH") {
                if case .error(1, "UNAUTHORIZED", _) = $0 { true } else { false }
            }
            #expect(!(await socket.box.messages.contains { $0.contains("CHANNEL_OPENED") }))
        }
    }

    @Test func revokedQuoteTokensStopTheDataUntilANewAuth() async throws {
        try await withTastyTrade { tt in
            let (socket, config, old) = try await Self.session(tt)
            defer { Task { await socket.close() } }
            try await socket.send(DXLinkMessage.feedSubscription(
                channel: 3, reset: false, add: [DXLinkSubscription(type: "Quote", symbol: "AAPL")], remove: []).json)
            _ = try await Self.events(socket, config: config, "AAPL before the fault") { !$0.isEmpty }
            await tt.tastyTrade.inject(.dxLinkUnauthorized)
            let refused = try await Self.next(socket, "UNAUTHORIZED") { if case .error(0, "UNAUTHORIZED", _) = $0 { true } else { false } }
            _ = try await Self.next(socket, from: refused.index, "AUTH_STATE UNAUTHORIZED") { $0 == .authState(state: "UNAUTHORIZED", userID: nil) }
            #expect(try await tt.tastyTrade.status().dxLinkAuthorized == 0)
            // Nothing flows now; the old token stays refused.
            try await Task.sleep(for: .milliseconds(500))
            let quiet = await socket.box.messages.count
            try await socket.send(DXLinkMessage.auth(token: old).json)
            _ = try await Self.next(socket, from: quiet, "the old token refused") { if case .error(0, "UNAUTHORIZED", _) = $0 { true } else { false } }
            let dataWhileRefused = await socket.box.messages[refused.index...].contains { $0.contains("FEED_DATA") }
            #expect(!dataWhileRefused)
            // A new token from /api-quote-tokens opens it again, the subscriptions as they were.
            let fresh = try DXLinkToken(json: try await tt.get("/api-quote-tokens", token: try await tt.accessToken()).bytes)
            try await socket.send(DXLinkMessage.auth(token: fresh.token).json)
            let authorized = try await Self.next(socket, from: quiet, "AUTHORIZED again") { if case .authState("AUTHORIZED", _) = $0 { true } else { false } }
            _ = try await Self.events(socket, from: authorized.index, config: config, "AAPL after the new AUTH") { $0.contains { $0.symbol == "AAPL" } }
        }
    }

    @Test func aSilentSocketTimesOut() async throws {
        try await withTastyTrade({ $0.dxLinkTimeoutSeconds = 1.5; $0.dxLinkKeepaliveSeconds = 0.5 }) { tt in
            let socket = try await tt.socket("/dxlink")
            try await socket.send(DXLinkMessage.setup(version: "0.1-test", keepaliveTimeout: 60, acceptKeepaliveTimeout: 60).json)
            _ = try await Self.next(socket, "a KEEPALIVE of the server's own") { $0 == .keepalive(channel: 0) }
            _ = try await Self.next(socket, "TIMEOUT") { if case .error(0, "TIMEOUT", _) = $0 { true } else { false } }
            #expect(await socket.box.first(timeout: .seconds(5)) { _ in false } == nil)
            #expect(await socket.box.closed)
        }
    }
}

/// Events gathered across FEED_DATA messages by a matcher that runs on the test's mailbox.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DXLinkEvent] = []

    func add(_ more: [DXLinkEvent]) -> [DXLinkEvent] {
        lock.lock()
        defer { lock.unlock() }
        events += more
        return events
    }

    var all: [DXLinkEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
