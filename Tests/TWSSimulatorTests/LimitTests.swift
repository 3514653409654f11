import Testing
import TWSProtocol
import TWSSimulator

/// Market-data lines, client-id uniqueness and message pacing.
@Suite("Limits")
struct LimitTests {
    @Test func marketDataLinesLimitRefusesTheFourth() async throws {
        try await withSimulator({ $0.marketDataLines = 3 }) { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            for (id, symbol) in [(1, "AAPL"), (2, "MSFT"), (3, "IBM")] {
                try await client.send(RequestMarketData(requestID: id, contract: Contract(.stock(symbol))))
            }
            try await client.send(RequestMarketData(requestID: 4, contract: Contract(.stock("SPY"))))
            let before = try await client.fence()
            for id in 1...3 {
                #expect(before.contains { if case let .tickRequestParameters(p) = $0 { p.requestID == id } else { false } },
                        "request \(id) did not start")
                #expect(!before.contains { $0.isError(101, requestID: id) })
            }
            #expect(before.contains { $0.isError(101, requestID: 4) }, "the fourth line was not refused")
            #expect(!before.contains {
                if case let .tickRequestParameters(p) = $0 { p.requestID == 4 } else { false }
            })
            #expect(try await simulator.status().subscriptions == 3)

            // The limit spans clients, and a freed line can be used again.
            let other = try await TestClient.connect(port: port, clientID: 2)
            try await other.send(RequestMarketData(requestID: 1, contract: Contract(.stock("QQQ"))))
            try await other.nextError(code: 101, requestID: 1)
            try await client.send(CancelMarketData(requestID: 3))
            _ = try await client.fence()
            try await other.send(RequestMarketData(requestID: 2, contract: Contract(.stock("QQQ"))))
            try await other.next { $0.isTick(for: 2) }
            await other.close()
            await client.close()
        }
    }

    @Test func duplicateClientIDIsRefusedAndFirstStays() async throws {
        try await withSimulator { simulator, port in
            let first = try await TestClient.connect(port: port, clientID: 7)
            let second = try await TestClient.connect(port: port, clientID: 7, waitForReady: false)
            let items = try await second.waitUntilClosed()
            let messages = items.compactMap(\.message)
            #expect(messages.contains { $0.isError(326, requestID: -1) }, "no 326 before the close: \(messages)")
            #expect(!messages.contains { if case .nextValidID = $0 { true } else { false } })

            #expect(first.isActive)
            #expect(try await first.fence().allSatisfy { !$0.isError(326) })
            #expect(try await simulator.status().connections == 1)
            await first.close()
        }
    }

    /// Sends `count` reqCurrentTime in one flush and returns the answers (currentTime or error 100), all `count`.
    static func burst(_ count: Int, on client: TestClient) async throws -> [ServerMessage] {
        try await client.sendBatch(Array(repeating: RequestCurrentTime(), count: count))
        return try await client.collectMessages(count: count, "burst replies") {
            if case .currentTime = $0 { return true }
            return $0.isError(100)
        }.filter {
            if case .currentTime = $0 { return true }
            return $0.isError(100)
        }
    }

    @Test func pacingLimitAnswersOverflowWithError100() async throws {
        try await withSimulator({ $0.pacingLimit = 50 }) { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let replies = try await Self.burst(60, on: client)
            let refused = replies.filter { $0.isError(100) }
            #expect(replies.count == 60)
            #expect(!refused.isEmpty, "60 requests in one flush passed a limit of 50 per second")
            #expect(refused.allSatisfy { $0.errorMessage?.requestID == -1 })
            await client.close()
        }
    }

    @Test func pacingLimitZeroTurnsPacingOff() async throws {
        try await withSimulator({ $0.pacingLimit = 0 }) { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let replies = try await Self.burst(60, on: client)
            #expect(replies.count == 60)
            #expect(!replies.contains { $0.isError(100) })
            await client.close()
        }
    }
}
