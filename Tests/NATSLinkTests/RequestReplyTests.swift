import NATSLink
import NATSTestSupport
import Synchronization
import Testing

@Suite("NATS requests against a real server")
struct RequestReplyTests {
    @Test func aRequestGetsItsOwnAnswerWithHeaders() async throws {
        let server = try NATSServerProcess()
        let responder = try NATSConnection.connect(server.clientOptions(name: "ingest")) { _ in }
        let requester = try NATSConnection.connect(server.clientOptions(name: "edge")) { _ in }
        defer { responder.close(); requester.close() }
        _ = try responder.subscribe("tickhub.interest") { message in
            // Echoes the body reversed, and the caller's header back with one of its own.
            try? responder.respond(
                to: message, message.data.reversed(),
                headers: ["Tickhub-Epoch": "3", "Echo": message.headers["Edge"] ?? "none"])
        }
        try await responder.flush(timeout: .seconds(5))

        // Several at once: each answer goes to the request that asked.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let answer = try await requester.request(
                        "tickhub.interest", [UInt8(index), 1, 2], headers: ["Edge": "e\(index)"], timeout: .seconds(5))
                    #expect(answer.data == [2, 1, UInt8(index)])
                    #expect(answer.headers == ["Tickhub-Epoch": "3", "Echo": "e\(index)"])
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func nobodyListeningIsToldAtOnce() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        // The server's answer that nobody subscribes, not the timeout running out (which would be `.timeout`): the
        // time it takes is not asserted, since a machine busy with the rest of the suite stretches it.
        await #expect(throws: NATSError.noResponders) {
            _ = try await connection.request("tickhub.control.ibkr.connect", [], timeout: .seconds(30))
        }
    }

    @Test func anUnansweredRequestTimesOut() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let heard = Gathered<NATSMessage>()
        _ = try connection.subscribe("silent") { heard.append($0) }  // hears, never answers
        try await connection.flush(timeout: .seconds(5))
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: NATSError.timeout) {
            _ = try await connection.request("silent", [1], timeout: .milliseconds(300))
        }
        let waited = clock.now - started
        #expect(waited >= .milliseconds(300) && waited < .seconds(5))
        #expect(heard.items.count == 1)
    }

    @Test func aCancelledRequestEndsAtOnce() async throws {
        let server = try NATSServerProcess()
        let connection = try NATSConnection.connect(server.clientOptions()) { _ in }
        defer { connection.close() }
        let heard = Gathered<NATSMessage>()
        _ = try connection.subscribe("silent") { heard.append($0) }
        try await connection.flush(timeout: .seconds(5))
        let request = Task { try await connection.request("silent", [1], timeout: .seconds(30)) }
        try #require(await heard.wait(forCount: 1))
        request.cancel()
        let outcome = await request.result
        #expect(throws: NATSError.cancelled) { try outcome.get() }
    }

    @Test func closingFailsWaitingRequests() async throws {
        let server = try NATSServerProcess()
        let events = Gathered<NATSEvent>()
        let connection = try NATSConnection.connect(server.clientOptions()) { events.append($0) }
        let heard = Gathered<NATSMessage>()
        _ = try connection.subscribe("silent") { heard.append($0) }
        try await connection.flush(timeout: .seconds(5))
        let request = Task { try await connection.request("silent", [1], timeout: .seconds(30)) }
        try #require(await heard.wait(forCount: 1))
        connection.close()
        #expect(await events.wait { $0.contains(.closed) })
        #expect(!connection.isConnected)
        let outcome = await request.result
        #expect(throws: NATSError.closed) { try outcome.get() }
        #expect(throws: NATSError.self) { try connection.publish("after", [1]) }
    }
}
