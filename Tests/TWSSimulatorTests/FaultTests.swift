import NIOCore
import NIOPosix
import Testing
import TWSProtocol
import TWSSimulator

/// Faults injected through `GatewaySimulator.inject`, as a client sees them.
@Suite("Faults")
struct FaultTests {
    static let account = "DU1234567"

    static func isAccountPnL(_ message: ServerMessage) -> Bool {
        if case .accountPnL = message { true } else { false }
    }

    /// A client with a streaming AAPL line (request 1) that has ticked, and an account P&L subscription whose
    /// once-a-second updates serve as a fence spanning many tick rounds.
    static func streamingClient(port: Int) async throws -> TestClient {
        let client = try await TestClient.connect(port: port, clientID: 1)
        try await client.send(RequestPnL(requestID: 90, account: account))
        try await client.next(where: isAccountPnL)
        try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("AAPL"))))
        _ = try await client.collectMessages(count: 20, "AAPL ticks") { $0.isTick(for: 1) }
        return client
    }

    /// Everything up to the second periodic P&L update: at least a whole housekeeping second (a hundred tick rounds).
    static func aboutOneSecond(of client: TestClient) async throws -> [ServerMessage] {
        try await client.collectMessages(count: 2, "two periodic pnl updates", matching: isAccountPnL)
    }

    @Test func dropConnectionsClosesClients() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            await simulator.inject(.dropConnections)
            try await client.waitUntilClosed()
            #expect(try await simulator.status().connections == 0)
            // The listener stays up.
            let again = try await TestClient.connect(port: port, clientID: 1)
            _ = try await again.fence()
            await again.close()
        }
    }

    @Test func refuseConnectionsRefusesThenListensAgain() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let injected = ContinuousClock.now
            // Long enough that a machine busy with the rest of the suite still tries within it.
            await simulator.inject(.refuseConnections(seconds: 4))
            #expect(try await simulator.status().refusingConnections)
            await #expect(throws: (any Error).self, "connected while refusing") {
                let c = try await TestClient.connect(port: port, clientID: 2, waitForReady: false)
                await c.close()
            }
            // Current connections are dropped too.
            try await client.waitUntilClosed()

            // Retry the TCP connect until the listener is back; the hello and bootstrap are awaited afterwards.
            var reconnected: TestClient?
            var attempts = 0
            while reconnected == nil, ContinuousClock.now - injected < .seconds(20) {
                attempts += 1
                do {
                    reconnected = try await TestClient.connect(port: port, clientID: 3, waitForReady: false)
                } catch {
                    // Back off between attempts, as any reconnecting client does.
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let client2 = try #require(reconnected, "no reconnect within 20 s after \(attempts) attempts")
            #expect(ContinuousClock.now - injected >= .milliseconds(3_900), "refusal ended early")
            try await client2.next { if case .nextValidID = $0 { true } else { false } }
            #expect(try await simulator.status().refusingConnections == false)
            _ = try await client2.fence()
            await client2.close()
        }
    }

    @Test func connectivityLostStopsTicks() async throws {
        try await withSimulator { simulator, port in
            let client = try await Self.streamingClient(port: port)
            await simulator.inject(.connectivityLost)
            try await client.nextError(code: 1100, requestID: -1)
            let quiet = try await Self.aboutOneSecond(of: client)
            #expect(!quiet.contains { $0.tickRequestID != nil }, "ticks while the link is down")
            #expect(try await simulator.status().linkDown)
            await client.close()
        }
    }

    @Test func connectivityRestoredWithDataLostDropsSubscriptions() async throws {
        try await withSimulator { simulator, port in
            let client = try await Self.streamingClient(port: port)
            await simulator.inject(.connectivityLost)
            try await client.nextError(code: 1100, requestID: -1)
            await simulator.inject(.connectivityRestored(dataLost: true))
            try await client.nextError(code: 1101, requestID: -1)
            let status = try await simulator.status()
            #expect(status.subscriptions == 0)
            #expect(!status.linkDown)
            // Re-requesting works, on the same id.
            try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("AAPL"))))
            let replies = try await client.collectMessages("a tick after re-request") { $0.isTick(for: 1) || $0.isError(322) }
            #expect(!replies.contains { $0.isError(322) })
            await client.close()
        }
    }

    @Test func connectivityRestoredWithDataKeptResumesTicks() async throws {
        try await withSimulator { simulator, port in
            let client = try await Self.streamingClient(port: port)
            await simulator.inject(.connectivityLost)
            try await client.nextError(code: 1100, requestID: -1)
            await simulator.inject(.connectivityRestored(dataLost: false))
            try await client.nextError(code: 1102, requestID: -1)
            #expect(try await simulator.status().subscriptions == 1)
            _ = try await client.collectMessages(count: 20, "AAPL ticks after 1102") { $0.isTick(for: 1) }
            await client.close()
        }
    }

    @Test func farmBrokenPausesAndFarmRestoredResumes() async throws {
        try await withSimulator { simulator, port in
            let client = try await Self.streamingClient(port: port)
            await simulator.inject(.farmBroken)
            try await client.nextError(code: 2103, requestID: -1)
            let quiet = try await Self.aboutOneSecond(of: client)
            #expect(!quiet.contains { $0.tickRequestID != nil }, "ticks while the farm is down")

            await simulator.inject(.farmRestored)
            try await client.nextError(code: 2104, requestID: -1)
            _ = try await client.collectMessages(count: 20, "AAPL ticks after 2104") { $0.isTick(for: 1) }
            await client.close()
        }
    }

    @Test func farmBrokenShowsInBootstrapOfNewClients() async throws {
        try await withSimulator { simulator, port in
            await simulator.inject(.farmBroken)
            let client = try await TestClient.connect(port: port, clientID: 1)
            let notices = try await client.collectMessages("2103 in the bootstrap") { $0.isError(2103) }
                .compactMap(\.errorMessage).map(\.code)
            #expect(notices == [2106, 2158, 2103])
            await client.close()
        }
    }

    @Test func competingSessionStopsEveryTicker() async throws {
        try await withSimulator { simulator, port in
            let client = try await Self.streamingClient(port: port)
            await simulator.inject(.competingSession)
            let error = try await client.nextError(code: 10197)
            #expect(error.requestID == 1)
            let quiet = try await Self.aboutOneSecond(of: client)
            #expect(!quiet.contains { $0.tickRequestID != nil }, "ticks during a competing session")

            await simulator.inject(.competingSessionEnded)
            _ = try await client.collectMessages(count: 10, "AAPL ticks after the competing session") { $0.isTick(for: 1) }
            await client.close()
        }
    }

    @Test func malformedFieldReachesThePipeline() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            await simulator.inject(.malformedFrame(.badField))
            let error = try await client.nextError()
            guard case let .malformedField(messageID, _, text) = error as? TWSProtocolError else {
                Issue.record("expected TWSProtocolError.malformedField, got \(error)")
                return
            }
            #expect(messageID == TickPrice.id)
            #expect(text == "not-a-price")
            await client.close()
        }
    }

    @Test func hugeLengthIsFrameTooLarge() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            await simulator.inject(.malformedFrame(.hugeLength))
            let error = try await client.nextError()
            guard case let .frameTooLarge(length, limit) = error as? TWSProtocolError else {
                Issue.record("expected TWSProtocolError.frameTooLarge, got \(error)")
                return
            }
            #expect(length > limit)
            await client.close()
        }
    }

    @Test func truncatedFrameIsTruncated() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            await simulator.inject(.malformedFrame(.truncated))
            let error = try await client.nextError()
            guard case let .truncated(messageID, _) = error as? TWSProtocolError else {
                Issue.record("expected TWSProtocolError.truncated, got \(error)")
                return
            }
            #expect(messageID == TickPrice.id)
            await client.close()
        }
    }
}
