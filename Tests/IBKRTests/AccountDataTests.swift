import IBKR
import TWSSimulator
import TWSProtocol
import TickhubCore
import Testing

/// Positions, account values, account P&L and per-position P&L, before and after a reconnect.
@Suite("Account data", .timeLimit(.minutes(2)))
struct AccountDataTests {
    static let account = "DU1234567"

    static func complete(_ positions: [IBKRPosition]) -> Bool {
        positions.count == 5 && positions.allSatisfy { $0.unrealizedPnL != nil && $0.dailyPnL != nil && $0.marketValue != nil }
    }

    /// Waits for positions valued by IBKR, account values with NetLiquidation and an account P&L; checks them.
    static func expectAccountData(_ h: Harness, _ when: String) async throws {
        // Positions, summary, account updates and P&L answers interleave: wait for all three, in any order.
        let found = try await h.events.awaitAll([
            "positions with IBKR's P&L \(when)": { if case let .positions(p) = $0 { complete(p) } else { false } },
            "account values \(when)": {
                if case let .accountValues(v) = $0 { v.contains { $0.tag == "NetLiquidation" } } else { false }
            },
            "account P&L \(when)": { if case .accountPnL = $0 { true } else { false } },
        ])
        guard case let .positions(positions)? = found["positions with IBKR's P&L \(when)"],
              case let .accountValues(rows)? = found["account values \(when)"],
              case let .accountPnL(pnl)? = found["account P&L \(when)"]
        else { preconditionFailure() }

        #expect(positions.allSatisfy { $0.account == account })
        let aapl = try #require(positions.first { $0.instrument?.symbol == "AAPL" && $0.instrument?.securityType == .stock })
        #expect(aapl.quantity == 100)
        #expect(aapl.averageCost == 190.25)
        #expect(aapl.instrument?.symbol == "AAPL")
        #expect(aapl.conId == 265598)
        let unrealized = try #require(aapl.unrealizedPnL)
        let value = try #require(aapl.marketValue)
        // IBKR's own valuation: unrealized = market value - cost.
        #expect(abs(unrealized - (value - 100 * 190.25)) < 1.0, "unrealized \(unrealized), value \(value)")
        let msft = try #require(positions.first { $0.instrument?.symbol == "MSFT" })
        #expect(msft.quantity == -50)
        #expect(msft.averageCost == 430.10)
        let symbols = Set(positions.compactMap { $0.instrument?.symbol })
        #expect(symbols == ["AAPL", "MSFT", "SPY 271217C00600000", "EUR.USD", "BTC"])

        let netLiq = try #require(rows.first { $0.tag == "NetLiquidation" && $0.account == account })
        #expect(netLiq.currency == "USD")
        #expect((Double(netLiq.value) ?? 0) > 250_000 * 0.5, "NetLiquidation \(netLiq.value)")
        #expect(rows.contains { $0.tag == "TotalCashValue" && $0.value == "250000.00" })

        #expect(pnl.account == account)
        #expect(pnl.dailyPnL != nil)
        #expect(pnl.unrealizedPnL != nil)
        #expect(pnl.realizedPnL == 1_250.40)
    }

    /// Each later round of account updates ends with an update time and no download end; the balances must be
    /// published again after it, or their "updated" time would stop at the connection's first round.
    @Test func laterRoundsOfAccountUpdatesPublishTheBalancesAgain() async throws {
        try await withSimulatorAndProvider(simulator: { $0.accountUpdateInterval = 0.3 }) { h in
            try await h.events.awaitState(.ready)
            try await h.events.awaitEvent("the first account values") {
                if case let .accountValues(v) = $0 { v.contains { $0.tag == "NetLiquidation" } } else { false }
            }
            await h.events.skip()
            // The connection's first round publishes at most three times (summary end, update time, download end):
            // four more need at least two later rounds.
            for count in 1...4 {
                try await h.events.awaitEvent("account values, \(count) of 4 after the first") {
                    if case let .accountValues(v) = $0 { v.contains { $0.tag == "NetLiquidation" } } else { false }
                }
            }
        }
    }

    @Test func positionsAccountValuesAndPnLSurviveAReconnect() async throws {
        try await withSimulatorAndProvider { h in
            try await h.events.awaitState(.ready)
            try await Self.expectAccountData(h, "after connecting")
            #expect(Self.complete(await h.provider.positions()))
            #expect(await h.provider.accountValues().contains { $0.tag == "NetLiquidation" })
            #expect(await h.provider.accountPnL()?.account == Self.account)

            // P&L keeps updating on the same connection (TWS sends it about once a second).
            await h.events.skip()
            for _ in 0..<2 {
                try await h.events.awaitEvent("periodic account P&L") { if case .accountPnL = $0 { true } else { false } }
            }

            await h.events.skip()
            await h.simulator.inject(.dropConnections)
            try await h.events.awaitEvent("reconnecting") {
                if case .reconnecting = $0.connectionState { true } else { false }
            }
            try await h.events.awaitState(.ready)
            try await Self.expectAccountData(h, "after the reconnect")
            // And keeps updating on the new connection.
            try await h.events.awaitEvent("periodic account P&L after the reconnect") {
                if case .accountPnL = $0 { true } else { false }
            }
            try await h.events.awaitEvent("periodic position P&L after the reconnect") {
                if case let .positions(p) = $0 { Self.complete(p) } else { false }
            }
            #expect(await h.provider.positions().count == 5)
            #expect(await h.provider.status().connections == 2)
            let simulator = try await h.simulator.status()
            #expect(simulator.errorsSent == 4 * simulator.connectionsAccepted)
        }
    }
}
