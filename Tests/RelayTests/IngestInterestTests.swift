import Foundation
import Hub
import NATSLink
import NATSTestSupport
import Relay
import ScaleOut
import Synchronization
import Testing
import TickhubCore

/// A fake edge (plain NATS requests) against a leading ingest: its renewal makes the hub follow its symbols under
/// `edge:<name>`, the grant carries the epoch and what cannot be followed, and a lease left to run out releases them.
extension IngestTests {
@Suite("Ingest interest and control", .serialized)
struct IngestInterestTests {
    struct Followed: Sendable, Equatable {
        let symbols: [String]
        let owner: String
    }

    final class Switch: ConnectionControl {
        let connected = Mutex(false)
        func status() async -> BrokerConnectionStatus? {
            BrokerConnectionStatus(state: connected.withLock { $0 } ? .ready : .disconnected, host: "127.0.0.1", port: 4002, clientId: 3)
        }
        func setConnected(_ connected: Bool) async { self.connected.withLock { $0 = connected } }
    }

    let subjects = try! RelaySubjects(prefix: "interest")

    func leadingIngest(_ server: NATSServerProcess, followed: Gathered<Followed>, control: (any ConnectionControl)? = nil) async throws -> (IngestRelay, NATSConnection) {
        let connection = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
        let relay = IngestRelay(connection: connection, settings: .init(subjects: subjects, name: "ingest", leaderTTL: .seconds(1)))
        let runs = Gathered<Bool>()
        try relay.start(.init(follow: { followed.append(Followed(symbols: $0.map(\.symbol).sorted(), owner: $1)) }, seedSequences: { _ in },
                              control: control)) { runs.append($0) }
        try #require(await runs.wait(timeout: .seconds(15)) { $0 == [true] })
        return (relay, connection)
    }

    @Test("an edge's renewal is followed and granted; a lease not renewed expires and releases its symbols")
    func leaseAndExpiry() async throws {
        let server = try NATSServerProcess()
        let followed = Gathered<Followed>()
        let (relay, connection) = try await leadingIngest(server, followed: followed)
        let edge = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }

        let renewal = InterestRenewal(edge: "e1", symbols: ["AAPL", "eur.usd", "NOT$A$SYMBOL"], leaseMilliseconds: 1_000)
        let answer = try await edge.request(subjects.interest, renewal.json, timeout: .seconds(2))
        let grant = try InterestGrant(json: answer.data)
        #expect(grant.epoch == relay.state.epoch)
        #expect(EpochGate.epoch(in: answer.headers) == relay.state.epoch)
        #expect(Array(grant.unknown.keys) == ["NOT$A$SYMBOL"], "a symbol the grammar refuses must come back as unknown")
        #expect(followed.items == [Followed(symbols: ["AAPL", "EUR.USD"], owner: "edge:e1")])
        #expect(relay.state.edges == 1 && relay.state.symbols == 2)

        // The same set again changes nothing at the hub; a smaller one replaces it.
        _ = try await edge.request(subjects.interest, renewal.json, timeout: .seconds(2))
        let smaller = InterestRenewal(edge: "e1", symbols: ["AAPL"], leaseMilliseconds: 1_000)
        _ = try await edge.request(subjects.interest, smaller.json, timeout: .seconds(2))
        #expect(followed.items.count == 2)
        #expect(followed.items.last == Followed(symbols: ["AAPL"], owner: "edge:e1"))

        // No renewal: within the lease and the expiry's quarter-second tick the edge's symbols are released.
        let renewedAt = ContinuousClock.now
        try #require(await followed.wait(timeout: .seconds(9)) { $0.last == Followed(symbols: [], owner: "edge:e1") })
        let released = ContinuousClock.now - renewedAt
        #expect(released >= .milliseconds(900) && released <= .milliseconds(1_600), "released after \(released)")
        #expect(relay.state.edges == 0 && relay.state.symbols == 0)

        // Bytes that are not a renewal get a refusal, not silence.
        let refused = try await edge.request(subjects.interest, Array("{}".utf8), timeout: .seconds(2))
        #expect(refused.headers[IngestControl.errorHeader]?.contains("edge") == true)

        await relay.stop()
        edge.close()
        connection.close()
    }

    @Test("an ingest started before its NATS server stands by, then leads and answers edges once the server is up")
    func startedBeforeNATS() async throws {
        let server = try NATSServerProcess()
        server.stop()
        var options = server.clientOptions(name: "early")
        options.retryOnFailedConnect = true
        let connection = try NATSConnection.connect(options) { _ in }
        let relay = IngestRelay(connection: connection, settings: .init(subjects: subjects, name: "early", leaderTTL: .seconds(1)))
        let runs = Gathered<Bool>()
        let followed = Gathered<Followed>()
        try relay.start(.init(follow: { followed.append(Followed(symbols: $0.map(\.symbol).sorted(), owner: $1)) }, seedSequences: { _ in })) {
            runs.append($0)
        }
        #expect(await runs.wait(timeout: .milliseconds(500)) { !$0.isEmpty } == false, "led with no NATS")
        #expect(!relay.state.leading && relay.state.epoch == nil && !relay.state.natsConnected)

        try server.start()
        try #require(await runs.wait(timeout: .seconds(30)) { $0 == [true] }, "never led once NATS was up")
        let edge = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        let answer = try await edge.request(subjects.interest, InterestRenewal(edge: "e3", symbols: ["IBM"], leaseMilliseconds: 5_000).json,
                                            timeout: .seconds(2))
        #expect(try InterestGrant(json: answer.data).epoch == relay.state.epoch)
        #expect(followed.items == [Followed(symbols: ["IBM"], owner: "edge:e3")])
        await relay.stop()
        edge.close()
        connection.close()
    }

    @Test("a standby keeps the ledger without answering")
    func standbyIsSilent() async throws {
        let server = try NATSServerProcess()
        let followed = Gathered<Followed>()
        let (relay, connection) = try await leadingIngest(server, followed: followed)
        let standbyFollowed = Gathered<Followed>()
        let standbyConnection = try NATSConnection.connect(server.clientOptions(name: "standby")) { _ in }
        let standby = IngestRelay(connection: standbyConnection, settings: .init(subjects: subjects, name: "standby", leaderTTL: .seconds(1)))
        try standby.start(.init(follow: { standbyFollowed.append(Followed(symbols: $0.map(\.symbol).sorted(), owner: $1)) }, seedSequences: { _ in })) { _ in }
        try await standbyConnection.flush(timeout: .seconds(2))

        // Every answer to every request is heard here (requests' answers go to `_INBOX.<id>.<n>`, the
        // key-value store's acknowledgements too), not only the first.
        let spy = try NATSConnection.connect(server.clientOptions(name: "spy")) { _ in }
        let heardReplies = Gathered<NATSMessage>()
        _ = try spy.subscribe("_INBOX.>") { heardReplies.append($0) }
        try await spy.flush(timeout: .seconds(2))
        let edge = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        let renewal = InterestRenewal(edge: "e2", symbols: ["MSFT"], leaseMilliseconds: 5_000)
        let answer = try await edge.request(subjects.interest, renewal.json, timeout: .seconds(2))
        #expect(EpochGate.epoch(in: answer.headers) == relay.state.epoch)
        let replySubject = answer.subject
        try #require(await heardReplies.wait(timeout: .seconds(6)) { $0.contains { $0.subject == replySubject } })
        try #require(await standbyFollowed.wait(timeout: .seconds(6)) { $0 == [Followed(symbols: ["MSFT"], owner: "edge:e2")] })
        #expect(await heardReplies.wait(timeout: .milliseconds(500)) { $0.filter { $0.subject == replySubject }.count > 1 } == false,
                "the standby answered too")
        #expect(standby.leases == ["e2": ["MSFT"]])

        await standby.stop()
        await relay.stop()
        spy.close()
        edge.close()
        standbyConnection.close()
        connection.close()
    }

    @Test("the leader carries out IBKR connect and disconnect for an edge and answers with the status")
    func ibkrControl() async throws {
        let server = try NATSServerProcess()
        let broker = Switch()
        let (relay, connection) = try await leadingIngest(server, followed: Gathered<Followed>(), control: broker)
        let edge = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }

        let connected = try await edge.request(subjects.control(.ibkrConnect), [], timeout: .seconds(2))
        #expect(try BrokerStatusMessage(json: connected.data).status.state == .ready)
        #expect(broker.connected.withLock { $0 })
        let disconnected = try await edge.request(subjects.control(.ibkrDisconnect), [], timeout: .seconds(2))
        #expect(try BrokerStatusMessage(json: disconnected.data).status.state == .disconnected)
        #expect(EpochGate.epoch(in: disconnected.headers) == relay.state.epoch)

        // An HTTP request outside the API is refused with why.
        let outside = ControlHTTPRequest(method: "GET", path: "/etc/passwd")
        let refused = try await edge.request(subjects.control(.http), [], headers: outside.headers, timeout: .seconds(2))
        #expect(refused.headers[IngestControl.errorHeader]?.contains("/api/") == true)

        await relay.stop()
        edge.close()
        connection.close()
    }
}
}
