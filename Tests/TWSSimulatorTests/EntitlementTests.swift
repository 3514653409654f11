import Testing
import TWSProtocol
import TWSSimulator

/// Market-data permissions from the configuration: delayed-only and unentitled symbols.
@Suite("Entitlements")
struct EntitlementTests {
    static let delayedTickTypes: Set<Int> = Set(TickType.delayedID.values)

    @Test func delayedOnlySymbolRefusesLiveThenStreamsDelayed() async throws {
        try await withSimulator({ $0.delayedOnlySymbols = ["TSLA"] }) { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)

            try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("TSLA"))))
            try await client.nextError(code: 10089, requestID: 1)
            let afterRefusal = try await client.fence()
            #expect(!afterRefusal.contains { $0.isTick(for: 1) })
            #expect(try await simulator.status().subscriptions == 0)

            try await client.send(RequestMarketDataType(3))
            try await client.send(RequestMarketData(requestID: 2, contract: Contract(.stock("TSLA"))))
            let messages = try await client.collectMessages(count: 30, "delayed TSLA ticks") { $0.isTick(for: 2) }
                .filter(MarketDataTests.about(2))
            guard messages.count > 3 else {
                Issue.record("too few messages: \(messages)")
                return
            }
            #expect(messages[0].isError(10167, requestID: 2), "first reply: \(messages[0])")
            guard case .tickRequestParameters = messages[1] else {
                Issue.record("second reply is not tickReqParams: \(messages[1])")
                return
            }
            guard case let .marketDataType(type) = messages[2] else {
                Issue.record("third reply is not marketDataType: \(messages[2])")
                return
            }
            #expect(type.marketDataType == 3)
            let ticks = messages.dropFirst(3)
            #expect(ticks.allSatisfy { $0.tickRequestID == 2 })
            let tickTypes = ticks.compactMap(\.tickType)
            #expect(Array(tickTypes.prefix(3)) == [TickType.delayedBid, TickType.delayedAsk, TickType.delayedLast])
            let live = tickTypes.filter { !Self.delayedTickTypes.contains($0) }
            #expect(live.isEmpty, "live tick types on a delayed line: \(live)")
            await client.close()
        }
    }

    @Test func entitledSymbolStaysLiveWhenDelayedIsRequested() async throws {
        try await withSimulator({ $0.delayedOnlySymbols = ["TSLA"] }) { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketDataType(3))
            try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("AAPL"))))
            let type = try await client.next {
                if case let .marketDataType(t) = $0 { t.requestID == 1 } else { false }
            }
            #expect(type == .marketDataType(MarketDataType(requestID: 1, marketDataType: 1)))
            let tick = try await client.next { $0.isTick(for: 1) }
            #expect(tick.tickType == TickType.bid)
            await client.close()
        }
    }

    @Test func unentitledSymbolRefusesLiveAndDelayed() async throws {
        try await withSimulator({ $0.unentitledSymbols = ["NVDA"] }) { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)

            try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("NVDA"))))
            try await client.nextError(code: 354, requestID: 1)

            try await client.send(RequestMarketDataType(3))
            try await client.send(RequestMarketData(requestID: 2, contract: Contract(.stock("NVDA"))))
            try await client.nextError(code: 10168, requestID: 2)

            let after = try await client.fence()
            #expect(!after.contains { $0.isTick(for: 1) || $0.isTick(for: 2) })
            #expect(try await simulator.status().subscriptions == 0)
            await client.close()
        }
    }
}
