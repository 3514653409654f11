import Testing
import TWSProtocol
import TWSSimulator

/// reqMktData streaming, snapshots and cancellation.
@Suite("Market data")
struct MarketDataTests {
    /// Messages that belong to market-data request `requestID`.
    static func about(_ requestID: Int) -> @Sendable (ServerMessage) -> Bool {
        { message in
            switch message {
            case let .tickRequestParameters(m): m.requestID == requestID
            case let .marketDataType(m): m.requestID == requestID
            case let .tickSnapshotEnd(m): m.requestID == requestID
            case let .error(m): m.requestID == requestID
            default: message.tickRequestID == requestID
            }
        }
    }

    @Test func streamStartsWithParametersThenTypeThenTicks() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketData(requestID: 7, contract: Contract(.stock("AAPL"))))
            let messages = try await client.collectMessages(count: 200, "AAPL ticks") { $0.isTick(for: 7) }
                .filter(Self.about(7))
            #expect(messages.count == 202)
            guard messages.count >= 3 else { return }

            guard case let .tickRequestParameters(parameters) = messages[0] else {
                Issue.record("first reply is not tickReqParams: \(messages[0])")
                return
            }
            #expect(parameters.minTick == 0.01)
            guard case let .marketDataType(type) = messages[1] else {
                Issue.record("second reply is not marketDataType: \(messages[1])")
                return
            }
            #expect(type.marketDataType == 1)

            var bid: Double?
            var ask: Double?
            var pairs = 0
            for message in messages.dropFirst(2) {
                switch message {
                case let .tickPrice(tick):
                    if [TickType.bid, TickType.ask, TickType.last].contains(tick.tickType) {
                        #expect((tick.size ?? 0) > 0, "price tick without a positive size: \(tick)")
                    }
                    #expect(tick.price > 0, "non-positive price: \(tick)")
                    if tick.tickType == TickType.bid { bid = tick.price }
                    if tick.tickType == TickType.ask { ask = tick.price }
                    if [TickType.bid, TickType.ask].contains(tick.tickType), let bid, let ask {
                        pairs += 1
                        #expect(bid < ask, "crossed or locked book: bid \(bid) ask \(ask)")
                    }
                case let .tickSize(tick):
                    #expect((tick.size ?? 0) > 0, "non-positive size: \(tick)")
                case .tickString, .tickGeneric:
                    break
                default:
                    Issue.record("unexpected message among AAPL ticks: \(message)")
                }
            }
            // At this rate most steps change the sizes at the touch, not its prices: a quote moves when the walk
            // has moved a tick.
            #expect(pairs > 10)
            await client.close()
        }
    }

    @Test func snapshotEndsWithSnapshotEnd() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketData(requestID: 3, contract: Contract(.stock("MSFT")), snapshot: true))
            let messages = try await client.collectMessages("tickSnapshotEnd") {
                if case let .tickSnapshotEnd(end) = $0 { end.requestID == 3 } else { false }
            }.filter(Self.about(3))
            guard case .tickRequestParameters = messages.first else {
                Issue.record("snapshot does not start with tickReqParams: \(messages)")
                return
            }
            let ticks = messages.filter { $0.isTick(for: 3) }
            #expect(ticks.contains { $0.tickType == TickType.bid })
            #expect(ticks.contains { $0.tickType == TickType.ask })
            #expect(ticks.contains { $0.tickType == TickType.last })
            // A snapshot is not a streaming line: nothing follows its end.
            #expect(try await simulator.status().subscriptions == 0)
            let after = try await client.fence()
            #expect(!after.contains(where: Self.about(3)), "messages after tickSnapshotEnd: \(after)")
            await client.close()
        }
    }

    @Test func cancelStopsOnlyThatRequest() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketData(requestID: 1, contract: Contract(.stock("AAPL"))))
            try await client.send(RequestMarketData(requestID: 2, contract: Contract(.stock("MSFT"))))
            // Both stream, past their first full quote.
            _ = try await client.collectMessages(count: 20, "AAPL ticks") { $0.isTick(for: 1) }
            _ = try await client.collectMessages(count: 20, "MSFT ticks") { $0.isTick(for: 2) }

            try await client.send(CancelMarketData(requestID: 1))
            let beforeFence = try await client.fence()
            #expect(!beforeFence.contains { $0.isError(300) }, "cancel of a live request was refused")
            // Everything after the fence was produced after the cancel: 200 MSFT ticks and no AAPL tick.
            let after = try await client.collectMessages(count: 200, "MSFT ticks after cancel") { $0.isTick(for: 2) }
            #expect(!after.contains { $0.isTick(for: 1) }, "ticks for a cancelled request")
            await client.close()
        }
    }

    @Test func cancelOfUnknownRequestIsError300() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(CancelMarketData(requestID: 4242))
            let error = try await client.nextError(code: 300)
            #expect(error.requestID == 4242)
            await client.close()
        }
    }

    @Test func unknownSymbolIsError200() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketData(requestID: 9, contract: Contract(.stock("ZZZZ"))))
            let error = try await client.nextError(code: 200)
            #expect(error.requestID == 9)
            #expect(try await simulator.status().subscriptions == 0)
            await client.close()
        }
    }

    @Test func duplicateRequestIDIsRefused() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestMarketData(requestID: 5, contract: Contract(.stock("AAPL"))))
            try await client.next { $0.isTick(for: 5) }
            try await client.send(RequestMarketData(requestID: 5, contract: Contract(.stock("MSFT"))))
            try await client.nextError(code: 322, requestID: 5)
            #expect(try await simulator.status().subscriptions == 1)
            await client.close()
        }
    }
}
