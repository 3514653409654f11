import Testing
import TWSProtocol
import TWSSimulator

/// The hello, version negotiation and the bootstrap burst a client sees right after connecting.
@Suite("Handshake and bootstrap")
struct HandshakeTests {
    @Test func bootstrapBurstInOrder() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            var items: [Incoming] = []
            for _ in 0..<7 { items.append(try await client.nextItem()) }

            guard case let .event(.connected(serverVersion, connectionTime)) = items[0] else {
                Issue.record("first event is not connected: \(items[0])")
                return
            }
            #expect(serverVersion == 176)
            #expect(!connectionTime.isEmpty)

            let messages = items.dropFirst().compactMap(\.message)
            #expect(messages.count == 6)
            guard messages.count == 6 else { return }
            guard case let .managedAccounts(accounts) = messages[0] else {
                Issue.record("expected managedAccounts, got \(messages[0])")
                return
            }
            #expect(accounts.accounts == ["DU1234567"])
            guard case let .nextValidID(next) = messages[1] else {
                Issue.record("expected nextValidId, got \(messages[1])")
                return
            }
            #expect(next.orderID > 0)
            let notices = messages.dropFirst(2).compactMap(\.errorMessage)
            #expect(notices.map(\.code) == [2104, 2104, 2106, 2158])
            #expect(notices.allSatisfy { $0.requestID == -1 })

            // The session is live: a request gets its reply after the bootstrap.
            #expect(try await client.fence().isEmpty)
            await client.close()
        }
    }

    @Test func negotiatesClientMaximumBelowServerMaximum() async throws {
        try await withSimulator({ $0.serverVersion = 200 }) { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1, versions: 157...178)
            guard case let .event(.connected(serverVersion, _)) = try await client.nextItem() else {
                Issue.record("first event is not connected")
                return
            }
            #expect(serverVersion == 178)
            // Messages decode at 178: the bootstrap completes and requests are answered.
            try await client.nextError(code: 2158, requestID: -1)
            #expect(try await client.fence().isEmpty)
            await client.close()
        }
    }

    @Test func clientRangeBelowServerIsRefused() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1, versions: 100...150, waitForReady: false)
            let items = try await client.waitUntilClosed()
            let connected = items.contains { if case .event(.connected) = $0 { true } else { false } }
            #expect(!connected, "the simulator answered a hello it cannot speak: \(items)")
            #expect(items.compactMap(\.message).isEmpty)
            #expect(try await simulator.status().connectionsAccepted == 1)
        }
    }
}
