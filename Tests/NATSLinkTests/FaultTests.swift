import NATSLink
import NATSTestSupport
import Foundation
import Testing

@Suite("NATS faults against a real server")
struct FaultTests {
    @Test func aRestartedServerIsReconnectedAndSubscriptionsResume() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        defer { connection.close() }
        let received = Gathered<NATSMessage>()
        _ = try connection.subscribe("tickhub.quote.>") { received.append($0) }
        try await connection.flush(timeout: .seconds(5))
        #expect(connection.isConnected)

        server.kill()
        #expect(await events.wait { $0.contains(.disconnected) })
        #expect(!connection.isConnected)

        try server.start()
        #expect(await events.wait { $0.contains(.reconnected) })
        #expect(connection.isConnected)
        #expect(connection.statistics().reconnects >= 1)

        // The subscription was made again on the new server: a message from another client reaches it.
        let publisher = try NATSConnection.connect(server.clientOptions(name: "publisher")) { _ in }
        defer { publisher.close() }
        try publisher.publish("tickhub.quote.AAPL", [42])
        try #require(await received.wait(forCount: 1))
        #expect(received.items.first?.data == [42])
        // The key-value store survives in its folder.
        let bucket = try await connection.keyValue("tickhub-quotes", ttl: nil)
        try await bucket.put("AAPL", [1])
        server.kill()
        try server.start()
        #expect(await events.wait { $0.filter { $0 == .reconnected }.count >= 2 })
        #expect(try await bucket.get("AAPL")?.value == [1])
    }

    @Test func aHungServerIsNoticedByPingsAndRejoinedWhenItAnswers() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        // Pings every second, two unanswered: the link counts as lost within about three seconds.
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        defer { connection.close() }
        let received = Gathered<NATSMessage>()
        _ = try connection.subscribe("tickhub.quote.>") { received.append($0) }
        try await connection.flush(timeout: .seconds(5))

        let clock = ContinuousClock()
        let paused = clock.now
        server.pause()
        try #require(await events.wait(timeout: .seconds(45)) { $0.contains(.disconnected) })
        let noticedAfter = clock.now - paused
        #expect(noticedAfter < .seconds(8))
        server.resume()
        try #require(await events.wait(timeout: .seconds(45)) { $0.contains(.reconnected) })
        try connection.publish("tickhub.quote.AAPL", [7])
        try #require(await received.wait(forCount: 1))
    }

    @Test func aBucketCallGivesUpAfterItsTimeoutWhileTheServerIsGone() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        defer { connection.close() }
        // A lease renewed every second must hear within the second that the renewal did not land.
        let leases = try await connection.keyValue("tickhub-leader", ttl: .seconds(3), timeout: .milliseconds(500))
        let revision = try await leases.create("leader", Array("a".utf8))
        server.kill()
        #expect(await events.wait { $0.contains(.disconnected) })
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: NATSError.timeout) { try await leases.update("leader", Array("a".utf8), lastRevision: revision) }
        #expect(clock.now - started < .seconds(3))
        try server.start()
        #expect(await events.wait { $0.contains(.reconnected) })
        // Buffered while disconnected, the renewal that timed out went out on reconnection and landed: its revision
        // check still held. A caller that must know at once refuses to buffer (the next test).
        let entry = try #require(try await leases.get("leader"))
        #expect(entry.revision > revision)
    }

    @Test func refusingToBufferFailsAtOnceAndNothingLandsLater() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        var options = server.clientOptions()
        options.bufferWhileReconnecting = false
        let connection = try NATSConnection.connect(options) { events.append($0) }
        defer { connection.close() }
        let leases = try await connection.keyValue("tickhub-leader", ttl: .seconds(30), timeout: .milliseconds(500))
        let revision = try await leases.create("leader", Array("a".utf8))
        server.kill()
        #expect(await events.wait { $0.contains(.disconnected) })
        await #expect(throws: NATSError.disconnected) { try await leases.update("leader", Array("b".utf8), lastRevision: revision) }
        #expect(throws: NATSError.disconnected) { try connection.publish("tickhub.quote.AAPL", [1]) }
        await #expect(throws: NATSError.disconnected) { _ = try await connection.request("tickhub.interest", [1], timeout: .seconds(1)) }
        try server.start()
        #expect(await events.wait { $0.contains(.reconnected) })
        #expect(try await leases.get("leader") == NATSKeyValueEntry(value: Array("a".utf8), revision: revision))
        try connection.publish("tickhub.quote.AAPL", [1])
    }

    @Test func aConnectionMadeBeforeTheServerStartsConnectsWhenItDoes() async throws {
        let server = try NATSServerProcess()
        server.kill()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        defer { connection.close() }
        #expect(!connection.isConnected)
        try server.start()
        #expect(await events.wait { $0.contains(.reconnected) })
        #expect(connection.isConnected)
    }

    @Test func aSlowConsumerLosesItsOwnMessagesAndIsReported() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        defer { connection.close() }
        let gate = Gate()
        let slowHandled = Gathered<NATSMessage>()
        let fastHandled = Gathered<NATSMessage>()
        // The slow handler holds the first message until the gate opens; only 10 may wait behind it.
        let slow = try connection.subscribe("tickhub.quote.>", limits: NATSPendingLimits(messages: 10, bytes: 1 << 20)) { message in
            gate.wait()
            slowHandled.append(message)
        }
        _ = try connection.subscribe("tickhub.quote.>") { fastHandled.append($0) }
        try await connection.flush(timeout: .seconds(5))

        for index in 0..<200 { try connection.publish("tickhub.quote.AAPL", [UInt8(index)]) }
        // The other subscription on the same connection gets every message, undelayed by the slow one.
        try #require(await fastHandled.wait(forCount: 200))
        #expect(await events.wait { $0.contains(.slowConsumer(subject: "tickhub.quote.>")) })
        #expect(slow.dropped > 0)
        gate.open()
        let dropped = Int(slow.dropped)
        try #require(await slowHandled.wait(forCount: 200 - dropped))
        #expect(slowHandled.items.count == 200 - dropped)
    }
}

/// Holds a handler's thread until opened, for at most 20 s (the handler runs on the C client's thread, so it may
/// block).
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func wait() {
        let deadline = Date().addingTimeInterval(20)
        condition.lock()
        while !isOpen, condition.wait(until: deadline) {}
        condition.unlock()
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}
