import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// The fan-out's rules, against fake connections: no socket, no thread, no clock but the hub's own.
@Suite struct FanoutTests {
    let host = FakeHost()
    let time = ManualClock()

    func makeHub(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> FanoutHub {
        FanoutHub.forTesting(host: host, clock: time, adjust)
    }

    func quote(_ symbol: String, bid: Double, ask: Double) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_800_000_000_000)
        quote.bid = bid
        quote.ask = ask
        quote.last = (bid + ask) / 2
        return quote
    }

    func connect(_ hub: FanoutHub) -> (ClientSession, FakeConnection) { hub.openTestClient() }

    /// Everything the hub has asked upstream so far, in order: a last command of the test's own marks the end,
    /// and the queue keeps the order, so nothing is waited for that never comes.
    func upstreamCommands(of hub: FanoutHub) async -> [String] {
        hub.interest.union.commands.send(.unsubscribe(["END"]))
        var seen: [String] = []
        for await command in host.upstream.commands {
            if command == "unsubscribe END" { break }
            seen.append(command)
        }
        return seen
    }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) { hub.take(text, from: client) }

    @Test func aSubscriberGetsTheStandingQuoteAsASnapshotThenUpdates() async {
        let hub = makeHub()
        hub.publish(quote("AAPL", bid: 100, ask: 100.1), receivedAt: Timestamp(microseconds: 1))
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["aapl"]}"#, from: client, to: hub)
        #expect(connection.quotes("AAPL").count == 1)
        #expect(connection.quotes("AAPL").first?["snapshot"] as? Bool == true)
        hub.publish(quote("AAPL", bid: 101, ask: 101.1), receivedAt: Timestamp(microseconds: 2))
        hub.flushWrites()
        let quotes = connection.quotes("AAPL")
        #expect(quotes.count == 2)
        #expect(quotes.last?["bid"] as? Double == 101)
        #expect(quotes.last?["snapshot"] as? Bool != true)
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL"])
    }

    @Test func aClientThatIsBehindHoldsOnePendingUpdatePerSymbolTheNewest() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#, from: client, to: hub)
        connection.choked = true
        for step in 1...5 { hub.publish(quote("AAPL", bid: 100 + Double(step), ask: 200), receivedAt: Timestamp(microseconds: Int64(step))) }
        for step in 1...3 { hub.publish(quote("MSFT", bid: 300 + Double(step), ask: 400), receivedAt: Timestamp(microseconds: Int64(step))) }
        hub.flushWrites()
        #expect(connection.frames.isEmpty)
        #expect(connection.writableRequests == 1)
        #expect(client.pending.count == 2)
        #expect(hub.metrics.updatesConflated == 6)
        connection.choked = false
        #expect(hub.writable(client))
        // One frame, both symbols, each at its newest.
        #expect(connection.frames.count == 1)
        #expect(connection.quotes("AAPL").map { $0["bid"] as? Double } == [105])
        #expect(connection.quotes("MSFT").map { $0["bid"] as? Double } == [303])
        #expect(hub.metrics.updatesDelivered == 2)
    }

    @Test func aSlowClientIsClosed1013AndTheOthersKeepTheirQuotes() {
        let hub = makeHub { $0.slowClientSeconds = 5 }
        let (slow, slowConnection) = connect(hub)
        let (fast, fastConnection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: slow, to: hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: fast, to: hub)
        slowConnection.choked = true
        for step in 1...50 {
            hub.publish(quote("AAPL", bid: Double(step), ask: 100), receivedAt: Timestamp(microseconds: Int64(step)))
            hub.flushWrites()
        }
        #expect(fastConnection.quotes("AAPL").count == 50)
        #expect(slowConnection.quotes("AAPL").isEmpty)
        #expect(slow.pending.count == 1)
        time.advance(seconds: 4)
        hub.housekeeping(secondElapsed: false)
        #expect(slowConnection.closed == nil, "closed before its time")
        time.advance(seconds: 2)
        hub.housekeeping(secondElapsed: false)
        #expect(slowConnection.closed?.status == 1013)
        #expect(fastConnection.closed == nil)
        #expect(hub.metrics.slowClientsClosed[1013] == 1)
    }

    @Test func aClientThatNeverReadsGetsItsErrorsCappedNotQueued() {
        let hub = makeHub { $0.maxQueuedErrors = 3; $0.maxErrorsPerMinute = 1_000 }
        let (client, connection) = connect(hub)
        connection.choked = true
        for _ in 1...20 { send("not json", from: client, to: hub) }
        #expect(client.immediate.count == 3)
        #expect(client.suppressedErrors == 17)
        connection.choked = false
        #expect(hub.writable(client))
        #expect(connection.errors() == ["bad_json", "bad_json", "bad_json", "errors_suppressed"])
    }

    @Test func tooManyErrorsInAMinuteClose1008() {
        let hub = makeHub { $0.maxErrorsPerMinute = 5 }
        let (client, connection) = connect(hub)
        for _ in 1...6 { send(#"{"op":"subscribe","symbols":["$$$"]}"#, from: client, to: hub) }
        #expect(connection.errors().count == 5)
        #expect(client.pendingClose?.status == 1008)
        hub.housekeeping(secondElapsed: false)
        #expect(connection.closed?.status == 1008)
    }

    @Test func badInputGetsItsErrorAndTheConnectionStays() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        for message in ["not json", #"{"symbols":["AAPL"]}"#, #"{"op":"dance"}"#, #"{"op":"subscribe","symbols":[42]}"#,
                        #"{"op":"subscribe","symbols":["A B C D"]}"#, #"{"op":"subscribe","channels":["weather"]}"#] {
            send(message, from: client, to: hub)
        }
        #expect(connection.errors() == ["bad_json", "missing_op", "unknown_op", "invalid_symbol", "invalid_symbol", "unknown_channel"])
        #expect(connection.closed == nil && client.pendingClose == nil)
        send(#"{"op":"ping","id":7}"#, from: client, to: hub)
        #expect(connection.messages.last?["type"] as? String == "pong")
    }

    @Test func aSymbolIsKeptThroughTheGracePeriodAndReleasedAfterIt() async {
        let hub = makeHub { $0.releaseIdleSymbolsSeconds = 60 }
        let (client, _) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client, to: hub)
        hub.publish(quote("AAPL", bid: 1, ask: 2), receivedAt: time.clock.now())
        hub.close(client)
        time.advance(seconds: 59)
        hub.releaseIdleSymbols(now: time.now)
        #expect(hub.market.book["AAPL"] != nil, "released within the grace period")
        time.advance(seconds: 2)
        hub.releaseIdleSymbols(now: time.now)
        #expect(hub.market.book["AAPL"] == nil)
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL", "unsubscribe AAPL"])
    }

    @Test func aSymbolNobodyWantsIsReleasedUpstreamAfterTheGracePeriod() async {
        let hub = makeHub { $0.releaseIdleSymbolsSeconds = 0 }
        let (client, _) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#, from: client, to: hub)
        hub.releaseIdleSymbols(now: time.now + 1)  // both streamed: nothing to release
        send(#"{"op":"unsubscribe","symbols":["MSFT"]}"#, from: client, to: hub)
        hub.releaseIdleSymbols(now: time.now + 1)
        hub.close(client)
        hub.releaseIdleSymbols(now: time.now + 1)
        // The whole sequence, in order: a release too early or too late would change it.
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL,MSFT", "unsubscribe MSFT", "unsubscribe AAPL"])
    }

    @Test func anUnsubscribedSymbolsPendingUpdateIsNotDelivered() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client, to: hub)
        connection.choked = true
        hub.publish(quote("AAPL", bid: 1, ask: 2), receivedAt: Timestamp(microseconds: 1))
        hub.flushWrites()
        send(#"{"op":"unsubscribe","symbols":["AAPL"]}"#, from: client, to: hub)
        connection.choked = false
        #expect(hub.writable(client))
        #expect(connection.quotes("AAPL").isEmpty)
    }

    @Test func eachUpdateIsEncodedOnceForEverySubscriber() {
        let hub = makeHub()
        let clients = (0..<3).map { _ in connect(hub) }
        for (client, _) in clients { send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client, to: hub) }
        for (_, connection) in clients { connection.choked = true }
        hub.publish(quote("AAPL", bid: 1, ask: 2), receivedAt: Timestamp(microseconds: 1))
        let shared = clients.map { $0.0.pending["AAPL"]?.bytes }
        #expect(shared.allSatisfy { $0 != nil && $0 === shared[0] })
    }

    @Test func pnlHasItsOwnPendingSlotAndIsNotAQuoteDelivery() {
        let hub = makeHub { $0.pnlPerSecond = 10 }
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["pnl"]}"#, from: client, to: hub)
        let aapl = Holding(broker: "other", account: "A1", instrument: .stock("AAPL"), quantity: 10, averageCost: 100)
        hub.setHoldings("other", [aapl])
        connection.choked = true
        for step in 1...3 {
            hub.publish(quote("AAPL", bid: 100 + Double(step), ask: 101 + Double(step)), receivedAt: time.clock.now())
            time.advance(seconds: 0.2)
            hub.housekeeping(secondElapsed: false)
        }
        hub.flushWrites()
        // One pending quote and one pending valuation, each the newest, and neither in the other's place.
        #expect(client.pending.count == 1 && client.pending["AAPL"] != nil)
        #expect(client.pendingPnL != nil)
        connection.choked = false
        #expect(hub.writable(client))
        let pushes = connection.messages.filter { $0["type"] as? String == "pnl" }
        let last = try? #require(pushes.last?["positions"] as? [[String: Any]])
        #expect(last?.first?["marketPrice"] as? Double == 103.5)
        #expect(hub.metrics.updatesDelivered == 1, "a P&L push counted as a quote delivery")
        #expect(hub.metrics.latencyCount == 1, "a P&L push went into the quote latency")
        #expect(hub.metrics.pnlUpdatesDelivered == 1)
    }

    @Test func aPositionThatChangesIsPushedAtOnceWhileMovingQuotesWaitTheirTurn() {
        let hub = makeHub { $0.pnlPerSecond = 4 }
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","channels":["pnl"]}"#, from: client, to: hub)
        func holding(_ quantity: Double, brokerMark: Double? = nil) -> Holding {
            Holding(broker: "tastytrade", account: "5WT1", instrument: .stock("AAPL"), quantity: quantity, averageCost: 100,
                    brokerMarketPrice: brokerMark)
        }
        hub.setHoldings("tastytrade", [holding(10)])
        hub.publish(quote("AAPL", bid: 101, ask: 101.2), receivedAt: time.clock.now())
        hub.housekeeping(secondElapsed: false)
        hub.flushWrites()
        func pushes() -> [[String: Any]] { connection.messages.filter { $0["type"] as? String == "pnl" } }
        let before = pushes().count
        // 50 ms later: a quote's move waits for the pace (a push every 250 ms)...
        time.advance(seconds: 0.05)
        hub.publish(quote("AAPL", bid: 102, ask: 102.2), receivedAt: time.clock.now())
        hub.housekeeping(secondElapsed: false)
        hub.flushWrites()
        #expect(pushes().count == before)
        // ...the broker's own mark moving is no trade either...
        hub.setHoldings("tastytrade", [holding(10, brokerMark: 102.1)])
        hub.flushWrites()
        #expect(pushes().count == before)
        // ...but a fill goes out at once, with the quote's move in it.
        hub.setHoldings("tastytrade", [holding(15, brokerMark: 102.1)])
        hub.flushWrites()
        #expect(pushes().count == before + 1)
        let aapl = (pushes().last?["positions"] as? [[String: Any]])?.first
        #expect(aapl?["quantity"] as? Double == 15)
        #expect(aapl?["marketPrice"] as? Double == 102.1)
    }

    @Test func aRequestForANewSymbolWaitsForItsFirstQuote() async {
        let hub = makeHub()
        let connection = FakeConnection()
        let request = HTTPRequest(method: .get, path: "/api/market-data/quote/MSFT", headers: ["host": "127.0.0.1:8080"])
        #expect(hub.handle(request, exchange: hub.exchanges.newID(), connection: connection) == nil)
        #expect(connection.writableRequests == 0)
        #expect(hub.exchanges.awaitedSymbolCount == 1)
        hub.publish(quote("MSFT", bid: 400, ask: 401), receivedAt: time.clock.now())
        #expect(connection.writableRequests == 1)
        #expect(hub.exchanges.awaitedSymbolCount == 0, "an answered request still indexed as waiting")
        hub.publish(quote("MSFT", bid: 401, ask: 402), receivedAt: time.clock.now())
        #expect(connection.writableRequests == 1, "an answered request asked to write again")
        #expect(await upstreamCommands(of: hub) == ["subscribe MSFT"])
    }

    @Test func aRequestNoQuoteAnswersIs503AtItsDeadline() {
        let hub = makeHub { $0.firstQuoteWaitSeconds = 2 }
        let connection = FakeConnection()
        let id = hub.exchanges.newID()
        let request = HTTPRequest(method: .get, path: "/api/market-data/quote/MSFT", headers: ["host": "127.0.0.1:8080"])
        #expect(hub.handle(request, exchange: id, connection: connection) == nil)
        time.advance(seconds: 1)
        hub.housekeeping(secondElapsed: false)
        #expect(hub.exchanges.take(id) == nil)
        time.advance(seconds: 1.5)
        hub.housekeeping(secondElapsed: false)
        #expect(hub.exchanges.take(id)?.status == 503)
    }
}
