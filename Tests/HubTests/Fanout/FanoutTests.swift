import Foundation
import Testing
import TickhubCore

@testable import Hub

/// The fan-out's rules, against fake connections: no socket, no thread, no clock but the hub's own.
@Suite struct FanoutTests {
    let host = FakeHost()

    func makeHub(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> FanoutHub {
        var configuration = ServerConfiguration()
        adjust(&configuration)
        return FanoutHub(configuration: configuration, host: host, frameHeadroom: 16)
    }

    func quote(_ symbol: String, bid: Double, ask: Double) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_800_000_000_000)
        quote.bid = bid
        quote.ask = ask
        quote.last = (bid + ask) / 2
        return quote
    }

    func connect(_ hub: FanoutHub) -> (ClientSession, FakeConnection) {
        let connection = FakeConnection()
        return (hub.open(connection, publisher: false), connection)
    }

    /// Everything the hub has asked upstream so far, in order: a last command of the test's own marks the end,
    /// and the queue keeps the order, so nothing is waited for that never comes.
    func upstreamCommands(of hub: FanoutHub) async -> [String] {
        hub.upstreamCommands.send(.unsubscribe(["END"]))
        var seen: [String] = []
        for await command in host.recorder.commands {
            if command == "unsubscribe END" { break }
            seen.append(command)
        }
        return seen
    }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) {
        hub.receive(Array(text.utf8), from: client)
        hub.flushWrites()
    }

    @Test func aSubscriberGetsTheStandingQuoteAsASnapshotThenUpdates() async {
        let hub = makeHub()
        hub.publish(quote("AAPL", bid: 100, ask: 100.1), receivedAt: 1)
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["aapl"]}"#, from: client, to: hub)
        #expect(connection.quotes("AAPL").count == 1)
        #expect(connection.quotes("AAPL").first?["snapshot"] as? Bool == true)
        hub.publish(quote("AAPL", bid: 101, ask: 101.1), receivedAt: 2)
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
        for step in 1...5 { hub.publish(quote("AAPL", bid: 100 + Double(step), ask: 200), receivedAt: Int64(step)) }
        for step in 1...3 { hub.publish(quote("MSFT", bid: 300 + Double(step), ask: 400), receivedAt: Int64(step)) }
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
        let hub = makeHub { $0.slowClientSeconds = 0 }
        let (slow, slowConnection) = connect(hub)
        let (fast, fastConnection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: slow, to: hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: fast, to: hub)
        slowConnection.choked = true
        for step in 1...50 {
            hub.publish(quote("AAPL", bid: Double(step), ask: 100), receivedAt: Int64(step))
            hub.flushWrites()
        }
        #expect(fastConnection.quotes("AAPL").count == 50)
        #expect(slowConnection.quotes("AAPL").isEmpty)
        #expect(slow.pending.count == 1)
        hub.housekeeping(secondElapsed: false)
        #expect(slowConnection.closed?.status == 1013)
        #expect(fastConnection.closed == nil)
        #expect(hub.metrics.slowClientsClosed == 1)
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

    @Test func aSymbolNobodyWantsIsReleasedUpstreamAfterTheGracePeriod() async {
        let hub = makeHub { $0.releaseIdleSymbolsSeconds = 0 }
        let (client, _) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#, from: client, to: hub)
        hub.releaseIdleSymbols(now: FanoutHub.nowMicros() + 1)  // both streamed: nothing to release
        send(#"{"op":"unsubscribe","symbols":["MSFT"]}"#, from: client, to: hub)
        hub.releaseIdleSymbols(now: FanoutHub.nowMicros() + 1)
        hub.close(client)
        hub.releaseIdleSymbols(now: FanoutHub.nowMicros() + 1)
        // The whole sequence, in order: a release too early or too late would change it.
        #expect(await upstreamCommands(of: hub) == ["subscribe AAPL,MSFT", "unsubscribe MSFT", "unsubscribe AAPL"])
    }

    @Test func anUnsubscribedSymbolsPendingUpdateIsNotDelivered() {
        let hub = makeHub()
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client, to: hub)
        connection.choked = true
        hub.publish(quote("AAPL", bid: 1, ask: 2), receivedAt: 1)
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
        hub.publish(quote("AAPL", bid: 1, ask: 2), receivedAt: 1)
        let shared = clients.map { $0.0.pending["AAPL"]?.bytes }
        #expect(shared.allSatisfy { $0 != nil && $0 === shared[0] })
    }
}
