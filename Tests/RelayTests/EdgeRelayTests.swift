import Foundation
import Hub
import HubProtocol
import NATSLink
import NATSTestSupport
@testable import Relay
import ScaleOut
import Synchronization
import Testing
import TickhubCore

/// An edge against a real nats-server, the test playing the leading ingest with plain NATS: it answers the edge's
/// interest renewals, publishes quote bytes with an epoch and keeps last quotes in the bucket. What the edge hands
/// its hub is recorded by an `EdgeHub` of the test's own.
@Suite("Edge relay", .serialized)
struct EdgeRelayTests {
    let subjects = try! RelaySubjects(prefix: "edgetest")

    /// What the edge handed its hub, in order.
    enum Handed: Sendable, Equatable {
        case quote([UInt8])
        case broker(BrokerConnectionState)
        case sync(BrokerSyncStatus)
        case health([ProviderHealth])
        case availability(String, SymbolAvailability)
        case lost(String)
        case restored
    }

    /// The test's ingest: answers renewals in `epoch` (or stays silent when `answering` is off) and records them.
    final class FakeIngest: Sendable {
        let connection: NATSConnection
        let renewals = Gathered<(at: ContinuousClock.Instant, renewal: InterestRenewal)>()
        let epoch = Mutex<UInt64>(2)
        let unknown = Mutex<[String: String]>([:])
        private let responder = Mutex<NATSSubscription?>(nil)
        let subjects: RelaySubjects

        init(_ server: NATSServerProcess, subjects: RelaySubjects) throws {
            self.subjects = subjects
            connection = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
            try answer()
        }

        func answer() throws {
            let subscription = try connection.subscribe(subjects.interest) { [self] message in
                guard let renewal = try? InterestRenewal(json: message.data) else { return }
                renewals.append((ContinuousClock.now, renewal))
                let epoch = epoch.withLock { $0 }
                let grant = InterestGrant(epoch: epoch, unknown: unknown.withLock { $0 })
                try? connection.respond(to: message, grant.json, headers: EpochGate.headers(epoch))
            }
            try connection.flush(timeout: .seconds(2))
            responder.withLock { $0 = subscription }
        }

        func silence() {
            responder.withLock { $0 }?.unsubscribe()
            responder.withLock { $0 = nil }
        }

        func publish(_ bytes: [UInt8], symbol: String, epoch: UInt64) throws {
            try connection.publish(subjects.quote(symbol)!, bytes, headers: EpochGate.headers(epoch))
        }
    }

    func quote(_ symbol: String, bid: Double, seq: UInt64, stale: Bool = false) -> [UInt8] {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_796_000_000_000 + Int64(seq))
        quote.bid = bid
        quote.ask = bid + 0.02
        quote.last = bid + 0.01
        quote.stale = stale
        return QuoteEncoding.encode(QuoteBook.Entry(quote: quote, sequence: seq,
                                                    receivedAt: Timestamp(microseconds: 1_796_000_000_000_000 + Int64(seq))))
    }

    /// An edge whose hub is the test's record, its NATS events passed to it as the app does.
    func edge(_ server: NATSServerProcess, lease: Duration = .seconds(3), leaderTTL: Duration? = nil)
        throws -> (EdgeRelay, NATSConnection, Gathered<Handed>) {
        let slot = Mutex<EdgeRelay?>(nil)
        let options = EdgeRelay.connectionOptions(server.clientOptions(name: "edge"))
        let connection = try NATSConnection.connect(options) { event in
            slot.withLock { $0 }?.connectionChanged(event)
        }
        let relay = EdgeRelay(connection: connection, settings: .init(subjects: subjects, name: "e1", lease: lease,
                                                                      leaderTTL: leaderTTL, requestTimeout: .milliseconds(500)))
        slot.withLock { $0 = relay }
        let handed = Gathered<Handed>()
        try relay.start(EdgeHub(
            quote: { bytes in
                handed.append(.quote(bytes))
                guard let entry = try? QuoteDecoding.decode(bytes) else { return .refused("not a quote") }
                return .published(symbol: entry.quote.symbol, sequence: entry.sequence)
            },
            brokerStatus: { handed.append(.broker($0.state)) },
            brokerSync: { handed.append(.sync($0)) },
            providerHealth: { handed.append(.health($0)) },
            availability: { handed.append(.availability($0, $1)) },
            feedLost: { handed.append(.lost($0)) },
            feedRestored: { handed.append(.restored) }))
        return (relay, connection, handed)
    }

    @Test("wanted symbols are asked with a lease and renewed; the bucket's last quote first, then the leader's bytes as they came; an older epoch's dropped, a newer one's first word marks every quote stale")
    func interestAndQuotes() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let bucket = try await ingest.connection.keyValue(subjects.quoteBucket, ttl: nil)
        let kept = quote("AAPL", bid: 230.09, seq: 10)
        _ = try await bucket.put(RelaySubjects.token(for: "AAPL")!, kept)
        ingest.unknown.withLock { $0 = ["ZZZZ": "no provider knows ZZZZ"] }

        let letGo = quote("NVDA", bid: 120, seq: 4, stale: true)
        _ = try await bucket.put("NVDA", letGo)

        let (relay, connection, handed) = try edge(server)
        await relay.upstream.subscribe([try SymbolGrammar.parse("AAPL"), try SymbolGrammar.parse("ZZZZ"), try SymbolGrammar.parse("NVDA")])
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { $0.contains { $0.renewal.symbols == ["AAPL", "NVDA", "ZZZZ"] } })
        let renewal = try #require(ingest.renewals.items.last?.renewal)
        #expect(renewal.edge == "e1" && renewal.leaseMilliseconds == 3_000)
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.quote(kept)) }, "the bucket's last quote was not handed on")
        #expect(!handed.items.contains(.quote(letGo)), "a stale last quote was handed on as a snapshot")
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.availability("ZZZZ", .unknown)) })

        // The leader's bytes, exactly; an older epoch's never; a newer leader's again.
        let live = quote("AAPL", bid: 230.11, seq: 11)
        try ingest.publish(live, symbol: "AAPL", epoch: 2)
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.quote(live)) })
        let old = quote("AAPL", bid: 1, seq: 12)
        try ingest.publish(old, symbol: "AAPL", epoch: 1)
        let next = quote("AAPL", bid: 230.2, seq: 1_013)
        ingest.epoch.withLock { $0 = 3 }
        try ingest.publish(next, symbol: "AAPL", epoch: 3)
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.quote(next)) })
        #expect(!handed.items.contains(.quote(old)), "a quote from an older epoch reached the hub")
        // (A renewal answered in epoch 2 just before the change may be dropped too.)
        #expect(relay.metrics.figures.oldEpochDropped >= 1)
        #expect(relay.state.epoch == 3)
        #expect(relay.metrics.figures.quotesReceived == 2)

        // Renewed every third of the lease while nothing changes.
        let before = ingest.renewals.items.count
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { $0.count >= before + 2 })
        let times = ingest.renewals.items.suffix(2).map(\.at)
        let gap = times[1] - times[0]
        #expect(gap >= .milliseconds(900) && gap <= .milliseconds(1_400), "renewed \(gap) apart")

        // A change is asked at once, not at the next renewal.
        let askedAt = ContinuousClock.now
        await relay.upstream.unsubscribe(["AAPL", "NVDA", "ZZZZ"])
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { $0.last?.renewal.symbols == [] })
        #expect(try #require(ingest.renewals.items.last).at - askedAt < .milliseconds(500))
        // Its quotes are no longer taken.
        let received = relay.metrics.figures.quotesReceived
        try ingest.publish(quote("AAPL", bid: 230.3, seq: 1_014), symbol: "AAPL", epoch: 3)
        try await ingest.connection.flush(timeout: .seconds(2))
        try await connection.flush(timeout: .seconds(2))
        #expect(relay.metrics.figures.quotesReceived == received)

        // The new leader's first word marked every quote stale (told as a loss and its end) before its quote.
        let losses = handed.items.enumerated().compactMap { if case let .lost(reason) = $0.element { ($0.offset, reason) } else { nil } }
        #expect(losses.count == 1)
        #expect(losses.first?.1 == "the feed's leader changed (epoch 2 to 3): quotes are stale until the new leader's come")
        let nextAt = try #require(handed.items.firstIndex(of: .quote(next)))
        #expect(losses.first.map { $0.0 < nextAt && handed.items[$0.0 + 1] == .restored } == true)
        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    @Test("status messages reach the hub as the hub's values; a malformed one or one without an epoch is refused and counted")
    func statuses() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let (relay, connection, handed) = try edge(server)
        try await connection.flush(timeout: .seconds(2))

        let status = BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 4002, clientId: 7)
        try ingest.connection.publish(subjects.brokerStatus, BrokerStatusMessage(status).json, headers: EpochGate.headers(2))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.broker(.ready)) })
        let health = [ProviderHealth(name: .ibkr, state: .ready, available: true)]
        try ingest.connection.publish(subjects.providerHealth, ProviderHealthMessage(health).json, headers: EpochGate.headers(2))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.health(health)) })
        try ingest.connection.publish(subjects.availability, AvailabilityMessage(symbol: "XYZ", .unavailable("no lines")).json,
                                      headers: EpochGate.headers(2))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.availability("XYZ", .unavailable("no lines"))) })
        let sync = BrokerSyncStatus(broker: "tastytrade", state: .error, detail: "the grant was revoked", accounts: ["5WT00001"], lastSyncAt: 1_796_677_170_000)
        try ingest.connection.publish(subjects.brokerSync, BrokerSyncMessage(sync).json, headers: EpochGate.headers(2))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.sync(sync)) })

        try ingest.connection.publish(subjects.brokerStatus, Array("{\"state\":\"on fire\"}".utf8), headers: EpochGate.headers(2))
        try ingest.connection.publish(subjects.brokerStatus, BrokerStatusMessage(status).json)
        try await ingest.connection.flush(timeout: .seconds(2))
        let refusedAll = await waitUntil { relay.metrics.figures.refused == 2 }
        #expect(refusedAll, "refused \(relay.metrics.figures.refused)")
        #expect(relay.metrics.figures.statusReceived == 5)
        // The edge's /api/ibkr/status asks the leader; none answers here, so the last status heard is reported as
        // unreachable, never as ready.
        let asked = try #require(await relay.control.status())
        #expect(asked.state == .disconnected && asked.clientId == 7)
        #expect(asked.lastError?.contains("leading ingest") == true)

        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    @Test("NATS lost: every quote stale at once and the providers' health says why; back: interest renewed at once, last quotes read again, feed live")
    func natsLostAndBack() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let (relay, connection, handed) = try edge(server)
        await relay.upstream.subscribe([try SymbolGrammar.parse("MSFT")])
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { $0.contains { $0.renewal.symbols == ["MSFT"] } })
        let health = [ProviderHealth(name: .ibkr, state: .ready, available: true),
                      ProviderHealth(name: .yahoo, state: .ready, available: true)]
        try ingest.connection.publish(subjects.providerHealth, ProviderHealthMessage(health).json, headers: EpochGate.headers(2))
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.health(health)) })

        let lostAt = ContinuousClock.now
        server.kill()
        try #require(await handed.wait(timeout: .seconds(15)) { $0.contains(.lost(EdgeLink.natsLost)) })
        let noticed = ContinuousClock.now - lostAt
        try #require(await handed.wait(timeout: .seconds(6)) { $0.contains { if case let .health(h) = $0 { h.allSatisfy { !$0.available } } else { false } } })
        let lostHealth = handed.items.compactMap { if case let .health(h) = $0, h.allSatisfy({ !$0.available }) { h } else { nil } }
        #expect(lostHealth.first?.map(\.name) == [.ibkr, .yahoo])
        #expect(lostHealth.first?.allSatisfy { $0.state == .disconnected && $0.detail == EdgeLink.natsLost } == true)
        #expect(relay.state.feedLost == EdgeLink.natsLost && relay.metrics.figures.feedLost)

        // The ingest keeps a newer last quote meanwhile, before it answers again; it is read when the feed is back.
        // Counted before the ingest is silenced: a renewal sent on reconnection may still reach it while it goes quiet.
        let renewalsBefore = ingest.renewals.items.count
        ingest.silence()
        try server.start()
        let bucket = try await ingest.connection.keyValue(subjects.quoteBucket, ttl: nil)
        let kept = quote("MSFT", bid: 410.1, seq: 77)
        _ = try await bucket.put("MSFT", kept)
        try ingest.answer()
        try #require(await handed.wait(timeout: .seconds(30)) { $0.contains(.restored) })
        #expect(ingest.renewals.items.count > renewalsBefore, "the feed was said to be back before a leader answered")
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.quote(kept)) })
        let restored = try #require(handed.items.firstIndex(of: .restored))
        #expect(handed.items[restored...].contains(.health(health)), "the ingest's health was not shown again")
        #expect(relay.state.feedLost == nil && !relay.metrics.figures.feedLost && relay.metrics.figures.feedLosses == 1)
        print("edge: NATS killed -> feed lost told in \(noticed)")

        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    @Test("no ingest answering is a lost feed, told once; a leader answering again restores it")
    func silentLeader() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let (relay, connection, handed) = try edge(server)
        await relay.upstream.subscribe([try SymbolGrammar.parse("AAPL")])
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { !$0.isEmpty })

        ingest.silence()
        // The next renewal (a second, with a lease of 3 s) finds no responder.
        // "no ingest is running" (no responders), or unanswered if the request beat the unsubscription to the server.
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains { if case let .lost(why) = $0 { why.hasPrefix("this edge hears no leading ingest: ") } else { false } } })
        try ingest.answer()
        // Asked again every half second while no one answers.
        try #require(await handed.wait(timeout: .seconds(6)) { $0.contains(.restored) })
        #expect(handed.items.filter { if case .lost = $0 { true } else { false } }.count == 1)

        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    @Test("the leader's lease renewals are its heartbeat: none for two thirds of the TTL is a loss, a new write asks for a renewal at once, a resignation is a loss at once")
    func leaderHeartbeat() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let leaderKey = try await ingest.connection.keyValue(subjects.leaderBucket, ttl: .seconds(1))
        // A lease of 60 s: renewals every 20 s, so only the heartbeat can tell of the leader here.
        let (relay, connection, handed) = try edge(server, lease: .seconds(60), leaderTTL: .seconds(1))
        try #require(await ingest.renewals.wait(timeout: .seconds(9)) { !$0.isEmpty })

        // The leader renews every third of the TTL (played here), then dies: neither renews nor answers.
        var lastRenewal = ContinuousClock.now
        for beat in 0..<3 {
            if beat > 0 { try await Task.sleep(for: .milliseconds(330)) }
            _ = try await leaderKey.put(RelaySubjects.leaderKey, Array("ingest-a".utf8))
            lastRenewal = ContinuousClock.now
        }
        ingest.silence()
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains { if case let .lost(why) = $0 { why.contains("has not been renewed") } else { false } } })
        let noticed = ContinuousClock.now - lastRenewal
        #expect(noticed >= .milliseconds(900) && noticed <= .milliseconds(1_600), "noticed after \(noticed)")

        // A successor's key: the edge renews at once instead of 20 s later, and the answer ends the loss.
        try ingest.answer()
        let renewals = ingest.renewals.items.count
        let successorAt = ContinuousClock.now
        _ = try await leaderKey.put(RelaySubjects.leaderKey, Array("ingest-b".utf8))
        try #require(await handed.wait(timeout: .seconds(6)) { $0.contains(.restored) })
        #expect(ingest.renewals.items.count > renewals)
        #expect(ContinuousClock.now - successorAt < .milliseconds(1_000))

        // A leader that resigns deletes its key: a loss at once.
        try await leaderKey.delete(RelaySubjects.leaderKey)
        try #require(await handed.wait(timeout: .seconds(6)) { $0.contains(.lost("this edge hears no leading ingest: the leading ingest gave up the lead")) })
        print("edge: a dead leader's silence noticed after \(noticed) (TTL 1 s)")

        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    @Test("the link's loss is told once however its causes come and go, and NATS's explains the leader's silence")
    func link() {
        var link = EdgeLink(natsConnected: true)
        #expect(link.leaderAnswered() == nil)
        #expect(link.leaderSilent("timeout") == .lost("this edge hears no leading ingest: timeout"))
        #expect(link.nats(connected: false) == nil)
        #expect(link.loss == EdgeLink.natsLost)
        #expect(link.nats(connected: true) == nil, "back without a leader's answer")
        #expect(link.leaderAnswered() == .restored)
        #expect(link.nats(connected: false) == .lost(EdgeLink.natsLost))
        #expect(link.nats(connected: true) == nil)
        #expect(link.leaderAnswered() == .restored)
    }

    @Test("a subscription per wanted symbol, all delivered by one thread: 200 symbols cost the edge no thread each, and only the wanted reach the hub")
    func manySymbolsOneDeliveryThread() async throws {
        let server = try NATSServerProcess()
        let ingest = try FakeIngest(server, subjects: subjects)
        let (relay, connection, handed) = try edge(server)
        let threadsBefore = Self.threadCount()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let symbols = (0..<200).map { "S\(letters[$0 / 26])\(letters[$0 % 26])" }
        await relay.upstream.subscribe(try symbols.map { try SymbolGrammar.parse($0) })
        #expect(relay.upstream.quoteSubscriptions == 200)
        try await connection.flush(timeout: .seconds(2))
        let wanted = quote(symbols[150], bid: 10.5, seq: 5)
        let unwanted = quote("NVDA", bid: 120, seq: 5)
        try ingest.publish(unwanted, symbol: "NVDA", epoch: 2)
        try ingest.publish(wanted, symbol: symbols[150], epoch: 2)
        try #require(await handed.wait(timeout: .seconds(9)) { $0.contains(.quote(wanted)) })
        #expect(!handed.items.contains(.quote(unwanted)), "a quote no client wants reached the hub")
        // A thread per subscription (the C client's default) would be 200 more; other suites running beside this one
        // account for the slack.
        let added = Self.threadCount() - threadsBefore
        #expect(added < 60, "\(added) threads more for 200 subscriptions")

        await relay.upstream.unsubscribe(Array(symbols.dropFirst(1)))
        #expect(relay.upstream.quoteSubscriptions == 1)
        relay.stop()
        connection.close()
        ingest.connection.close()
    }

    /// The process's threads, from /proc.
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    @Test("a publisher's quotes are refused by an edge with where to send them, never taken and dropped")
    func publishersRefused() async throws {
        let server = try NATSServerProcess()
        let (relay, connection, _) = try edge(server)
        let refused = relay.upstream.push([QuotePatch(symbol: "AAPL"), QuotePatch(symbol: "MSFT")], publisher: 1,
                                          receivedAt: Timestamp(microseconds: 0))
        #expect(refused.map(\.position) == [0, 1])
        #expect(refused.allSatisfy { $0.reason.contains("publish to the ingest") })
        relay.stop()
        connection.close()
    }

    @Test("a relayed request's path and query go on the wire escaped again")
    func target() {
        let request = HTTPRequest(method: .get, path: "/api/market-data/bars/BRK B", query: ["interval": "1m", "to": "a&b=c"])
        #expect(EdgeHTTPRelay.target(request) == "/api/market-data/bars/BRK%20B?interval=1m&to=a%26b%3Dc")
        let plain = HTTPRequest(method: .get, path: "/api/positions/12")
        #expect(EdgeHTTPRelay.target(plain) == "/api/positions/12")
        let unicode = HTTPRequest(method: .get, path: "/api/alerts/é")
        #expect(EdgeHTTPRelay.target(unicode) == "/api/alerts/%C3%A9")
    }

    /// Polls a condition every 10 ms for at most 3 s (for counters with no event to await).
    func waitUntil(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<300 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
