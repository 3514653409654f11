import Foundation
import Synchronization
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// A hub that feeds others (an ingest: every event relayed as its shards get it) and a hub fed by another (an edge:
/// quotes passed on with the other hub's numbers and bytes, every quote marked stale when the feed is lost).
@Suite struct FeedRelayTests {
    let time = ManualClock()

    func quote(_ symbol: String, bid: Double, stale: Bool = false) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_800_000_000_000, stale: stale)
        quote.bid = bid
        quote.ask = bid + 0.1
        return quote
    }

    func subscribe(_ symbols: [String], on hub: FanoutHub) -> (ClientSession, FakeConnection) {
        let (client, connection) = hub.openTestClient()
        let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        hub.take(#"{"op":"subscribe","symbols":[\#(list)]}"#, from: client)
        return (client, connection)
    }

    /// Bytes as an ingest would send them.
    func encoded(_ quote: Quote, seq: UInt64, t: Int64) -> EncodedQuote {
        let entry = QuoteBook.Entry(quote: quote, sequence: seq, receivedAt: Timestamp(microseconds: t))
        return EncodedQuote(entry: entry, bytes: QuoteEncoding.encode(entry))
    }

    final class RecordingRelay: HubRelay {
        let seen = Mutex<[HubEvent]>([])
        func relay(_ event: HubEvent) { seen.withLock { $0.append(event) } }
    }

    final class RecordingInbox: ShardInbox {
        let seen = Mutex<[HubEvent]>([])
        func post(_ event: HubEvent) { seen.withLock { $0.append(event) } }
    }

    static func quotes(_ events: [HubEvent]) -> [EncodedQuote] {
        events.compactMap { if case let .quote(update) = $0 { update } else { nil } }
    }

    // MARK: The ingest's side

    @Test func theRelaySeesEveryEventAsTheShardsGetItAQuoteWithItsNumberAndBytes() {
        let relay = RecordingRelay()
        let inboxes = [RecordingInbox(), RecordingInbox()]
        let broadcast = HubBroadcast(shards: inboxes, relay: relay)
        broadcast.publish(quote("AAPL", bid: 100), receivedAt: Timestamp(microseconds: 5))
        broadcast.post(.availability("NOPE", .unknown))
        broadcast.publish(quote("AAPL", bid: 101), receivedAt: Timestamp(microseconds: 6))
        let relayed = relay.seen.withLock { $0 }
        #expect(relayed.count == 3)
        let relayedQuotes = Self.quotes(relayed)
        #expect(relayedQuotes.map(\.entry.sequence) == [1, 2])
        for inbox in inboxes {
            let shardQuotes = Self.quotes(inbox.seen.withLock { $0 })
            #expect(zip(shardQuotes, relayedQuotes).allSatisfy { $0.bytes === $1.bytes }, "the relay was given other bytes")
        }
        if case let .availability(symbol, state) = relayed[1] { #expect(symbol == "NOPE" && state == .unknown) } else {
            Issue.record("the availability was not relayed in its place: \(relayed[1])")
        }
        let text = String(decoding: relayedQuotes[1].bytes.bytes, as: UTF8.self)
        #expect(text.contains(#""seq":2,"t":6"#))
    }

    /// A hub that takes the feed over from another continues each symbol's numbers.
    @Test func seededSequencesContinueAboveThePreviousLeadersNumbers() {
        let inbox = RecordingInbox()
        let broadcast = HubBroadcast(shards: [inbox])
        broadcast.publish(quote("MSFT", bid: 1), receivedAt: Timestamp(microseconds: 1))
        broadcast.seedSequences(["AAPL": 41, "MSFT": 0])
        broadcast.publish(quote("AAPL", bid: 100), receivedAt: Timestamp(microseconds: 5))
        broadcast.publish(quote("MSFT", bid: 2), receivedAt: Timestamp(microseconds: 6))
        broadcast.seedSequences(["AAPL": 10])
        broadcast.publish(quote("AAPL", bid: 101), receivedAt: Timestamp(microseconds: 7))
        #expect(Self.quotes(inbox.seen.withLock { $0 }).map { "\($0.symbol) \($0.entry.sequence)" } == ["MSFT 1", "AAPL 42", "MSFT 2", "AAPL 43"],
                "a seed below the numbers already given took them back")
    }

    // MARK: The edge's side

    @Test func aQuoteNumberedElsewhereReachesClientsWithItsBytesAndNumber() throws {
        let shards = TestShards(2, clock: time)
        let subscribers = [subscribe(["AAPL"], on: shards[0]), subscribe(["AAPL"], on: shards[1])]
        let update = encoded(quote("AAPL", bid: 100), seq: 517, t: 1_800_000_000_000_123)
        #expect(shards.broadcast.publishNumbered(update))
        for hub in shards.hubs { hub.flushWrites() }
        for (_, connection) in subscribers {
            #expect(connection.frames.last == update.bytes.bytes, "the bytes were not passed on as they came")
        }
        // Its book holds the decoded entry: a snapshot for a later subscriber carries the same numbers.
        let late = subscribe(["AAPL"], on: shards[1]).1
        let snapshot = try #require(late.quotes("AAPL").first)
        #expect(snapshot["seq"] as? Int == 517 && snapshot["t"] as? Int == 1_800_000_000_000_123 && snapshot["snapshot"] as? Bool == true)
    }

    /// A snapshot from the store that a live update overtook must not go out after it: `seq` never goes down.
    @Test func anUpdateOlderThanTheNewestIsDroppedTheSameNumberAgainPasses() {
        let shards = TestShards(1, clock: time)
        let (_, connection) = subscribe(["AAPL"], on: shards[0])
        #expect(shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 101), seq: 8, t: 20)))
        #expect(!shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 100), seq: 7, t: 10)))
        #expect(shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 101), seq: 8, t: 20)))
        #expect(shards.broadcast.publishNumbered(encoded(quote("MSFT", bid: 5), seq: 1, t: 30)), "another symbol's numbers are its own")
        shards[0].flushWrites()
        #expect(connection.quotes("AAPL").map { $0["seq"] as? Int } == [8])
        #expect(shards[0].market.book["AAPL"]?.quote.bid == 101)
    }

    @Test func aLostFeedMarksEveryQuoteStaleAtOnceWithItsSameNumberAndTellsClients() throws {
        let shards = TestShards(2, clock: time)
        let (_, first) = subscribe(["AAPL", "EUR.USD"], on: shards[0])
        let (_, second) = subscribe(["AAPL"], on: shards[1])
        let (_, idle) = subscribe([], on: shards[1])
        let (_, publisher) = shards[1].openTestClient(publisher: true)
        _ = shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 100), seq: 40, t: 1))
        _ = shards.broadcast.publishNumbered(encoded(quote("EUR.USD", bid: 1.08), seq: 9, t: 2))
        _ = shards.broadcast.publishNumbered(encoded(quote("MSFT", bid: 400, stale: true), seq: 3, t: 3))
        for hub in shards.hubs { hub.flushWrites() }
        // The second shard's client has not taken its update yet: it gets the quote in its stale form instead.
        second.choked = true
        _ = shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 100.5), seq: 41, t: 4))
        for hub in shards.hubs { hub.flushWrites() }

        shards.broadcast.post(.feedLost("the link to the ingest is lost"))
        for hub in shards.hubs { hub.flushWrites() }
        let aapl = first.quotes("AAPL")
        #expect(aapl.map { $0["seq"] as? Int } == [40, 41, 41])
        #expect(aapl.last?["stale"] as? Bool == true && aapl.last?["bid"] as? Double == 100.5 && aapl.last?["t"] as? Int == 4)
        #expect(first.quotes("EUR.USD").last?["stale"] as? Bool == true && first.quotes("EUR.USD").last?["seq"] as? Int == 9)
        second.choked = false
        _ = shards[1].writable(shards[1].clients.all.first { ($0.connection as? FakeConnection) === second }!)
        #expect(second.quotes("AAPL").map { $0["stale"] as? Bool } == [false, true], "the pending live update went out after the loss")
        #expect(second.quotes("AAPL").last?["seq"] as? Int == 41)
        for connection in [first, second, idle] {
            let notice = connection.messages.last { $0["feed"] != nil }
            #expect(notice?["type"] as? String == "status" && notice?["feed"] as? String == "lost")
            #expect(notice?["reason"] as? String == "the link to the ingest is lost")
        }
        #expect(publisher.messages.isEmpty, "a publisher was sent a status")
        // Every shard's book says so, for snapshots and HTTP.
        for hub in shards.hubs { #expect(hub.market.book["AAPL"]?.quote.stale == true && hub.market.book["AAPL"]?.sequence == 41) }
        let late = subscribe(["AAPL"], on: shards[1]).1
        #expect(late.quotes("AAPL").first?["stale"] as? Bool == true)

        // Back: clients hear it, and the next live update clears the mark.
        shards.broadcast.post(.feedRestored)
        _ = shards.broadcast.publishNumbered(encoded(quote("AAPL", bid: 101), seq: 42, t: 5))
        for hub in shards.hubs { hub.flushWrites() }
        #expect(first.messages.last { $0["feed"] != nil }?["feed"] as? String == "live")
        #expect(first.quotes("AAPL").last?["stale"] as? Bool == false && first.quotes("AAPL").last?["seq"] as? Int == 42)
    }

    /// A quote already stale is not sent again: nothing about it changed.
    @Test func aQuoteAlreadyStaleIsNotSentAgain() {
        let shards = TestShards(1, clock: time)
        let (_, connection) = subscribe(["MSFT"], on: shards[0])
        _ = shards.broadcast.publishNumbered(encoded(quote("MSFT", bid: 400, stale: true), seq: 3, t: 3))
        shards[0].flushWrites()
        shards.broadcast.post(.feedLost("gone"))
        shards[0].flushWrites()
        #expect(connection.quotes("MSFT").count == 1)
    }

    /// A client that comes while the feed is lost hears of it first, once admitted, with the stale quotes the hub
    /// holds; once the feed is back, newcomers hear nothing of it.
    @Test func aClientThatComesWhileTheFeedIsLostIsToldOnceAdmitted() {
        let host = FakeHost()
        let hub = FanoutHub.forTesting(host: host, clock: time) { $0.token = "s3cret" }
        hub.apply(.quote(encoded(quote("AAPL", bid: 100), seq: 40, t: 1)))
        hub.apply(.feedLost("the link to the ingest is lost"))
        let connection = FakeConnection()
        let client = hub.open(connection, publisher: false, awaitingToken: true)
        hub.flushWrites()
        #expect(connection.messages.isEmpty, "told before presenting the token")
        hub.take(#"{"op":"auth","token":"s3cret"}"#, from: client)
        hub.take(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: client)
        let types = connection.messages.map { ($0["type"] as? String ?? "") + ($0["feed"] as? String ?? "") }
        #expect(types == ["authenticated", "statuslost", "quote"])
        #expect(connection.quotes("AAPL").first?["stale"] as? Bool == true && connection.quotes("AAPL").first?["seq"] as? Int == 40)
        let publisher = FakeConnection()
        _ = hub.open(publisher, publisher: true)
        hub.flushWrites()
        #expect(publisher.messages.isEmpty)

        hub.apply(.feedRestored)
        hub.apply(.feedRestored)
        hub.flushWrites()
        #expect(connection.messages.filter { $0["feed"] as? String == "live" }.count == 1, "told twice that the feed is back")
        let (_, late) = hub.openTestClient()
        hub.flushWrites()
        #expect(late.messages.isEmpty)
    }
}
