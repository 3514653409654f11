import Testing
import TWSProtocol
import TWSSimulator

/// Positions, account summary, account updates and P&L from the default `SimulatedPortfolio.standard`.
@Suite("Portfolio")
struct PortfolioTests {
    static let account = "DU1234567"
    static let aaplConId = 265598

    @Test func positionsThenPositionEnd() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestPositions())
            let replies = try await client.collectMessages("positionEnd") {
                if case .positionEnd = $0 { true } else { false }
            }
            let positions = replies.compactMap { message -> Position? in
                if case let .position(p) = message { return p }
                return nil
            }
            #expect(positions.count == 5)
            #expect(positions.allSatisfy { $0.account == Self.account })
            func position(_ secType: String, _ symbol: String) -> Position? {
                positions.first { $0.contract.secType == secType && $0.contract.symbol == symbol }
            }

            let aapl = try #require(position("STK", "AAPL"))
            #expect(aapl.position == 100)
            #expect(aapl.averageCost == 190.25)
            #expect(aapl.contract.conId == Self.aaplConId)
            #expect(aapl.contract.exchange == "NASDAQ")

            let msft = try #require(position("STK", "MSFT"))
            #expect(msft.position == -50)
            #expect(msft.averageCost == 430.10)

            let option = try #require(position("OPT", "SPY"))
            #expect(option.position == 2)
            #expect(option.contract.multiplier == "100")
            #expect(option.contract.exchange == "")
            #expect(option.contract.right == "C")
            #expect(option.contract.strike == 600)
            #expect(option.contract.lastTradeDateOrContractMonth == "20271217")
            #expect(option.averageCost == 1_050)

            let fx = try #require(position("CASH", "EUR"))
            #expect(fx.contract.currency == "USD")
            #expect(fx.position == 20_000)

            let btc = try #require(position("CRYPTO", "BTC"))
            #expect(btc.position == 0.5)
            #expect(btc.averageCost == 60_000)
            await client.close()
        }
    }

    /// The rows of one account-summary request, through its end marker.
    static func summary(_ requestID: Int, tags: String, on client: TestClient) async throws -> [AccountSummary] {
        try await client.send(RequestAccountSummary(requestID: requestID, tags: tags))
        let replies = try await client.collectMessages("accountSummaryEnd \(requestID)") {
            if case let .accountSummaryEnd(end) = $0 { return end.requestID == requestID }
            return $0.isError(322, requestID: requestID)
        }
        guard case .accountSummaryEnd = replies.last else {
            Issue.record("account summary \(requestID) refused: \(String(describing: replies.last))")
            return []
        }
        return replies.compactMap { message in
            if case let .accountSummary(row) = message, row.requestID == requestID { return row }
            return nil
        }
    }

    /// The portfolio rows of the first reqAccountUpdates burst, through accountDownloadEnd.
    static func portfolioRows(on client: TestClient) async throws -> [PortfolioValue] {
        try await client.send(RequestAccountUpdates(subscribe: true, account: account))
        let replies = try await client.collectMessages("accountDownloadEnd") {
            if case .accountDownloadEnd = $0 { true } else { false }
        }
        guard case let .accountDownloadEnd(end) = replies.last else { return [] }
        #expect(end.account == account)
        return replies.compactMap { message in
            if case let .portfolioValue(row) = message { return row }
            return nil
        }
    }

    @Test func accountSummaryWithLedgerAddsUp() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let rows = try await Self.summary(1, tags: "NetLiquidation,TotalCashValue,$LEDGER", on: client)
            #expect(rows.allSatisfy { $0.account == Self.account })

            let plain = rows.filter { ["NetLiquidation", "TotalCashValue"].contains($0.tag) }
            #expect(plain.map(\.tag).sorted() == ["NetLiquidation", "TotalCashValue"])
            #expect(plain.allSatisfy { $0.currency == "USD" })

            let ledger = rows.filter { !["NetLiquidation", "TotalCashValue"].contains($0.tag) }
            #expect(!ledger.isEmpty)
            #expect(ledger.allSatisfy { $0.currency == "USD" }, "ledger rows not in USD: \(ledger)")
            let ledgerTags = Set(ledger.map(\.tag))
            #expect(ledgerTags.contains("UnrealizedPnL"))
            #expect(ledgerTags.contains("CashBalance"))
            #expect(ledgerTags.contains("NetLiquidationByCurrency"))
            #expect(!rows.contains { $0.tag == "BuyingPower" }, "a tag nobody asked for")

            let netLiquidation = try #require(plain.first { $0.tag == "NetLiquidation" }.flatMap { Double($0.value) })
            let cash = try #require(plain.first { $0.tag == "TotalCashValue" }.flatMap { Double($0.value) })
            #expect(cash == 250_000)

            let portfolio = try await Self.portfolioRows(on: client)
            #expect(portfolio.count == 5)
            let marketValue = portfolio.reduce(0) { $0 + $1.marketValue }
            #expect(abs(netLiquidation - (cash + marketValue)) <= 0.05,
                    "NetLiquidation \(netLiquidation) != cash \(cash) + market value \(marketValue)")

            // The ledger's unrealized P&L is the portfolio's.
            let unrealized = try #require(ledger.first { $0.tag == "UnrealizedPnL" }.flatMap { Double($0.value) })
            let portfolioUnrealized = portfolio.reduce(0) { $0 + $1.unrealizedPnL }
            #expect(abs(unrealized - portfolioUnrealized) <= 0.05)
            await client.close()
        }
    }

    @Test func portfolioRowsAreConsistent() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            let portfolio = try await Self.portfolioRows(on: client)
            #expect(portfolio.count == 5)
            for row in portfolio {
                let multiplier = Double(row.contract.multiplier) ?? 1
                #expect(abs(row.marketValue - row.marketPrice * row.position * multiplier) <= 0.01,
                        "\(row.contract.symbol): market value \(row.marketValue)")
                #expect(abs(row.unrealizedPnL - (row.marketValue - row.averageCost * row.position)) <= 0.02,
                        "\(row.contract.symbol): unrealized \(row.unrealizedPnL)")
                #expect(row.account == Self.account)
            }
            await client.close()
        }
    }

    @Test func thirdConcurrentAccountSummaryIsError322() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            #expect(try await !Self.summary(1, tags: "NetLiquidation", on: client).isEmpty)
            #expect(try await !Self.summary(2, tags: "TotalCashValue", on: client).isEmpty)
            try await client.send(RequestAccountSummary(requestID: 3, tags: "NetLiquidation"))
            let replies = try await client.collectMessages("error 322") { $0.isError(322) }
            #expect(replies.last?.errorMessage?.requestID == 3)
            #expect(!replies.contains { if case .accountSummary = $0 { true } else { false } })

            // Cancelling one frees a slot.
            try await client.send(CancelAccountSummary(requestID: 1))
            #expect(try await !Self.summary(4, tags: "NetLiquidation", on: client).isEmpty)
            await client.close()
        }
    }

    @Test func accountPnL() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestPnL(requestID: 20, account: Self.account))
            guard case let .accountPnL(pnl) = try await client.next(where: {
                if case .accountPnL = $0 { true } else { false }
            }) else { return }
            #expect(pnl.requestID == 20)
            #expect(pnl.dailyPnL != nil)
            #expect(pnl.unrealizedPnL != nil)
            #expect(pnl.realizedPnL == 1_250.40)
            await client.close()
        }
    }

    @Test func positionPnLForAAPL() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            try await client.send(RequestPnLSingle(requestID: 21, account: Self.account, conId: Self.aaplConId))
            guard case let .positionPnL(pnl) = try await client.next(where: {
                if case .positionPnL = $0 { true } else { false }
            }) else { return }
            #expect(pnl.requestID == 21)
            #expect(pnl.position == 100)
            let value = try #require(pnl.value)
            let unrealized = try #require(pnl.unrealizedPnL)
            #expect(abs(unrealized - (value - 190.25 * 100)) <= 0.01)
            #expect(pnl.dailyPnL != nil)

            let aapl = try await Self.portfolioRows(on: client).first { $0.contract.conId == Self.aaplConId }
            #expect(abs((aapl?.marketValue ?? 0) - value) <= 0.01)
            await client.close()
        }
    }

    @Test func positionPnLForUnknownConIdSaysNothing() async throws {
        try await withSimulator { _, port in
            let client = try await TestClient.connect(port: port, clientID: 1)
            // Drain the bootstrap so the fence sees only what the request caused.
            try await client.next { $0.isError(2158) }
            try await client.send(RequestPnLSingle(requestID: 22, account: Self.account, conId: 999_999_999))
            let before = try await client.fence()
            #expect(before.isEmpty, "replies to a conId the account does not hold: \(before)")
            await client.close()
        }
    }
}
