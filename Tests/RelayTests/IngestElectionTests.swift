import Foundation
import Hub
import NATSLink
import NATSTestSupport
import Relay
import ScaleOut
import Synchronization
import Testing
import TickhubCore

/// Two ingests against a real nats-server: one leads, the other takes over when the first stops renewing, in the next
/// epoch, continuing each symbol's `seq` above the last leader's.
/// The ingest's suites, one at a time: each starts and stops nats-servers on ports of their own, and a server stopped
/// and started again on its port (an ingest started before its NATS) must not find another suite's server there.
@Suite("Ingest", .serialized)
struct IngestTests {}

extension IngestTests {
@Suite("Ingest election and feed", .serialized)
struct IngestElectionTests {
    /// What one ingest's providers were told, and what its hub was asked to seed.
    final class Ingest: Sendable {
        let name: String
        let relay: IngestRelay
        let runs = Gathered<Bool>()
        /// When each of `runs` was told, taken in the callback itself (the test's own wake-up may come later on a busy
        /// machine).
        let told = Gathered<ContinuousClock.Instant>()
        let seeds = Gathered<[String: UInt64]>()
        let connection: NATSConnection

        init(_ name: String, server: NATSServerProcess, ttl: Duration) async throws {
            self.name = name
            connection = try NATSConnection.connect(server.clientOptions(name: name)) { _ in }
            relay = IngestRelay(connection: connection, settings: .init(subjects: try RelaySubjects(prefix: "election"), name: name, leaderTTL: ttl))
        }

        func start() throws {
            let runs = runs, seeds = seeds, told = told
            try relay.start(.init(follow: { _, _ in }, seedSequences: { seeds.append($0) })) {
                told.append(.now)
                runs.append($0)
            }
        }

        var leads: Bool { runs.items.last == true }
    }

    @Test("one ingest leads; the other takes over within the TTL and a second of the first going silent, in a newer epoch")
    func takeover() async throws {
        let server = try NATSServerProcess()
        let ttl = Duration.seconds(1)
        let a = try await Ingest("a", server: server, ttl: ttl)
        let b = try await Ingest("b", server: server, ttl: ttl)
        try a.start()
        try #require(await a.runs.wait(timeout: .seconds(15)) { $0 == [true] }, "the first ingest never led")
        try b.start()
        // The standby tries every third of the TTL: in two TTLs it has tried six times and must not have led.
        #expect(await b.runs.wait(timeout: ttl * 2) { !$0.isEmpty } == false, "a second leader while the first renews")
        let firstEpoch = try #require(a.relay.state.epoch)

        await a.relay.abandon()
        let silent = ContinuousClock.now
        try #require(await b.runs.wait(timeout: ttl + .seconds(2)) { $0 == [true] }, "the standby never took over")
        let takeover = ContinuousClock.now - silent
        print("takeover after the leader went silent: \(takeover) (TTL \(ttl))")
        #expect(takeover <= ttl + .seconds(1))
        let secondEpoch = try #require(b.relay.state.epoch)
        #expect(secondEpoch > firstEpoch)
        #expect(b.relay.state.leading && !a.relay.state.leading)

        await b.relay.stop()
        a.connection.close()
        b.connection.close()
    }

    @Test("a clean stop hands the lead over within a third of the TTL")
    func resignation() async throws {
        let server = try NATSServerProcess()
        let ttl = Duration.seconds(3)
        let a = try await Ingest("a", server: server, ttl: ttl)
        let b = try await Ingest("b", server: server, ttl: ttl)
        try a.start()
        try #require(await a.runs.wait(timeout: .seconds(15)) { $0 == [true] })
        try b.start()
        await a.relay.stop()
        let stopped = ContinuousClock.now
        try #require(await b.runs.wait(timeout: ttl) { $0 == [true] }, "the standby did not take over after the leader resigned")
        let takeover = ContinuousClock.now - stopped
        print("takeover after the leader resigned: \(takeover) (TTL \(ttl))")
        #expect(takeover < ttl / 3 + .milliseconds(500))
        await b.relay.stop()
        a.connection.close()
        b.connection.close()
    }

    @Test("a leader cut off from NATS stops its providers before its key can expire, and leads again in a new epoch when NATS is back")
    func stepDownWhenNATSIsLost() async throws {
        let server = try NATSServerProcess()
        let ttl = Duration.seconds(3)
        let a = try await Ingest("a", server: server, ttl: ttl)
        try a.start()
        try #require(await a.runs.wait(timeout: .seconds(15)) { $0 == [true] })
        let firstEpoch = try #require(a.relay.state.epoch)

        // A hung server (sockets open, nothing answered): the renewals go unanswered.
        server.pause()
        let paused = ContinuousClock.now
        try #require(await a.runs.wait(timeout: ttl) { $0 == [true, false] }, "the leader did not step down")
        let steppedDown = try #require(a.told.items.last) - paused
        print("stepped down \(steppedDown) after NATS stopped answering (TTL \(ttl))")
        // It steps down two thirds of the TTL after its last confirmed renewal (which was before the pause), give or
        // take a store call's slack; its key lives a whole TTL after that renewal, so no standby can have led
        // meanwhile. (A second later, as when the calls stuck on the hung server held the global queue's threads
        // that Swift's tasks run on, is a failure.)
        #expect(steppedDown < ttl * 2 / 3 + .milliseconds(150), "a standby could have led while this one still ran its providers")
        #expect(!a.relay.state.leading)

        server.resume()
        try #require(await a.runs.wait(timeout: ttl * 3) { $0 == [true, false, true] }, "it did not lead again")
        #expect((a.relay.state.epoch ?? 0) > firstEpoch)
        await a.relay.stop()
        a.connection.close()
    }

    @Test("the leader publishes the hub's quote bytes with its epoch, keeps the last in the bucket, and a successor numbers above it")
    func feedAndSequences() async throws {
        let server = try NATSServerProcess()
        let ttl = Duration.seconds(1)
        let a = try await Ingest("a", server: server, ttl: ttl)
        let b = try await Ingest("b", server: server, ttl: ttl)
        let listener = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        let heard = Gathered<NATSMessage>()
        let subjects = try RelaySubjects(prefix: "election")
        _ = try listener.subscribe(subjects.quotes) { heard.append($0) }
        let statuses = Gathered<NATSMessage>()
        _ = try listener.subscribe(subjects.statuses) { statuses.append($0) }
        try await listener.flush(timeout: .seconds(2))

        // Before it leads, nothing goes out.
        var quote = Quote(symbol: "EUR.USD", source: .ibkr, timestamp: 1_765_000_000_000)
        quote.bid = 1.1612
        quote.ask = 1.1614
        let early = EncodedQuote(quote, sequence: 7, receivedAt: Timestamp(microseconds: 1_765_000_000_000_123))
        a.relay.feed.relay(.quote(early))
        a.relay.feed.relay(.brokerStatus(BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 4002, clientId: 9)))
        try a.start()
        try #require(await a.runs.wait(timeout: .seconds(15)) { $0 == [true] })
        let epoch = try #require(a.relay.state.epoch)
        // The new leader's first words: the state it holds (the broker's status), with its epoch.
        try #require(await statuses.wait(timeout: .seconds(9)) { $0.contains { $0.subject == subjects.brokerStatus } })
        #expect(statuses.items.first.flatMap { EpochGate.epoch(in: $0.headers) } == epoch)
        #expect(heard.items.isEmpty, "a quote published before leading went out")

        quote.bid = 1.1613
        let update = EncodedQuote(quote, sequence: 42, receivedAt: Timestamp(microseconds: 1_765_000_000_500_000))
        a.relay.feed.relay(.quote(update))
        try #require(await heard.wait(forCount: 1, timeout: .seconds(9)))
        let message = try #require(heard.items.first)
        #expect(message.subject == "election.quote.EUR_USD")
        #expect(message.data == update.bytes.bytes, "the bytes on NATS are not the hub's")
        #expect(EpochGate.epoch(in: message.headers) == epoch)
        let bucket = try await listener.keyValue(subjects.quoteBucket, ttl: nil)
        var kept: NATSKeyValueEntry?
        for _ in 0..<50 where kept == nil {
            kept = try await bucket.get("EUR_USD")
            if kept == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(kept?.value == update.bytes.bytes)

        // Released (no one follows it any more), its last quote stays in the bucket marked stale, with its seq: an
        // edge's snapshot of it is never shown as live.
        a.relay.feed.relay(.released(["EUR.USD"]))
        var marked: QuoteBook.Entry?
        for _ in 0..<50 where marked?.quote.stale != true {
            marked = try await bucket.get("EUR_USD").flatMap { try? QuoteDecoding.decode($0.value) }
            if marked?.quote.stale != true { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(marked?.quote.stale == true && marked?.sequence == 42 && marked?.quote.bid == 1.1613)

        try b.start()
        await a.relay.abandon()
        try #require(await b.runs.wait(timeout: .seconds(12)) { $0 == [true] })
        #expect(b.seeds.items.last?["EUR.USD"] == 42 + IngestRelay.sequenceGap)
        // The old leader's quotes no longer go out.
        a.relay.feed.relay(.quote(EncodedQuote(quote, sequence: 43, receivedAt: Timestamp(microseconds: 1_765_000_000_600_000))))
        try await listener.flush(timeout: .seconds(2))
        await b.relay.stop()
        #expect(heard.items.count == 1)
        listener.close()
        a.connection.close()
        b.connection.close()
    }
}
}
