import Testing
import TWSProtocol
import TWSSimulator

/// reqContractDetails across security types, unknown symbols, and resolving a qualified conId.
@Suite("Contract details")
struct ContractDetailsTests {
    static let spyCall = Contract(
        symbol: "SPY", secType: "OPT", lastTradeDateOrContractMonth: "20271217", strike: 600, right: "C",
        multiplier: "100", exchange: "SMART", currency: "USD")

    /// Requests details and returns the one contractDetails before its contractDetailsEnd.
    static func details(_ contract: Contract, requestID: Int, from client: TestClient) async throws -> ContractDetails? {
        try await client.send(RequestContractDetails(requestID: requestID, contract: contract))
        let replies = try await client.collectMessages("contractDetailsEnd \(requestID)") {
            switch $0 {
            case let .contractDetailsEnd(end): end.requestID == requestID
            case let .error(error): error.requestID == requestID
            default: false
            }
        }
        guard case .contractDetailsEnd = replies.last else {
            Issue.record("no contractDetailsEnd for \(contract.symbol): \(String(describing: replies.last))")
            return nil
        }
        let details = replies.compactMap { message -> ContractDetails? in
            if case let .contractDetails(d) = message, d.requestID == requestID { return d }
            return nil
        }
        #expect(details.count == 1, "\(contract.symbol): \(details.count) contractDetails before the end")
        return details.first
    }

    @Test func stock() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let details = try #require(try await Self.details(Contract(.stock("AAPL")), requestID: 1, from: client))
            #expect(details.contract.conId == 265598)
            #expect(details.contract.symbol == "AAPL")
            #expect(details.contract.secType == "STK")
            #expect(details.contract.currency == "USD")
            #expect(details.contract.primaryExchange == "NASDAQ")
            #expect(details.longName == "APPLE INC")
            #expect(details.minTick == 0.01)
            await client.close()
        }
    }

    @Test func forexPair() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let contract = Contract(.forex(base: "EUR", quote: "USD"))
            let details = try #require(try await Self.details(contract, requestID: 2, from: client))
            #expect(details.contract.symbol == "EUR")
            #expect(details.contract.currency == "USD")
            #expect(details.contract.secType == "CASH")
            #expect(details.contract.exchange == "IDEALPRO")
            #expect(details.contract.localSymbol == "EUR.USD")
            #expect(details.contract.conId == 12087792)
            await client.close()
        }
    }

    @Test func crypto() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let details = try #require(try await Self.details(Contract(.crypto("BTC")), requestID: 3, from: client))
            #expect(details.contract.symbol == "BTC")
            #expect(details.contract.secType == "CRYPTO")
            #expect(details.contract.exchange == "PAXOS")
            #expect(details.minSize == "0.0001")
            await client.close()
        }
    }

    @Test func optionAndItsConId() async throws {
        try await withSimulator { simulator, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let details = try #require(try await Self.details(Self.spyCall, requestID: 4, from: client))
            #expect(details.contract.secType == "OPT")
            #expect(details.contract.symbol == "SPY")
            #expect(details.contract.multiplier == "100")
            #expect(details.contract.right == "C")
            #expect(details.contract.strike == 600)
            #expect(details.contract.lastTradeDateOrContractMonth == "20271217")
            #expect(details.contract.localSymbol == "SPY   271217C00600000")
            #expect(details.underConId == 756733)
            #expect(details.contract.conId != 0)

            // The conId the client was given resolves on its own, for market data and for details.
            let conId = details.contract.conId
            try await client.send(RequestMarketData(requestID: 5, contract: .byConId(conId)))
            let replies = try await client.collectMessages("option ticks by conId") {
                $0.isTick(for: 5) || $0.isError(200, requestID: 5)
            }
            #expect(!replies.contains { $0.isError(200) }, "conId \(conId) did not resolve")
            #expect(replies.contains {
                if case let .tickRequestParameters(p) = $0 { p.requestID == 5 } else { false }
            })
            #expect(try await simulator.status().subscriptions == 1)

            let again = try #require(try await Self.details(.byConId(conId), requestID: 6, from: client))
            #expect(again.contract.conId == conId)
            #expect(again.contract.secType == "OPT")
            await client.close()
        }
    }

    @Test func unknownSymbolIsError200() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestContractDetails(requestID: 11, contract: Contract(.stock("ZZZZ"))))
            let replies = try await client.collectMessages("error 200") { $0.isError(200) }
            #expect(replies.last?.errorMessage?.requestID == 11)
            #expect(!replies.contains { if case .contractDetails = $0 { true } else { false } })
            // And no end marker follows the error.
            let after = try await client.fence()
            #expect(!after.contains { if case .contractDetailsEnd = $0 { true } else { false } })
            await client.close()
        }
    }
}
