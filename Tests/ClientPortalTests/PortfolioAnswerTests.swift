import ClientPortal
import Foundation
import Testing
import TickhubCore

@Suite("Portfolio answers")
struct PortfolioAnswerTests {
    @Test func accounts() throws {
        let accounts = try PortfolioAccount.decodeList(try Recordings.data("portfolio_accounts.json"))
        #expect(accounts == [PortfolioAccount(accountId: "DU1234567", currency: "USD", type: "DEMO", displayName: "Demo Trader")])
        #expect(try PortfolioAccount.decodeList(Data(PortfolioAccount.json(accounts).utf8)) == accounts)
    }

    @Test func positionsPage() throws {
        let page = try PortfolioPosition.decodePage(try Recordings.data("portfolio_positions_page0.json"))
        #expect(page.positions.map(\.conid) == [265598, 707316470, 12087792])
        // The row without a conid and the one whose position reads as no number are named, not guessed.
        #expect(page.refused.count == 2)
        let stock = page.positions[0]
        #expect(stock.quantity == 100 && stock.avgCost == 185.5 && stock.marketPrice == 243.04 && stock.unrealizedPnl == 5754)
        // IBKR's 0 for a stock's multiplier and strike is none.
        #expect(stock.multiplier == nil && stock.strike == nil)
        #expect(stock.assetClass == "STK" && stock.ticker == "AAPL" && stock.accountId == "DU1234567")
        let option = page.positions[1]
        #expect(option.quantity == -2 && option.marketPrice == 12.35 && option.strike == 250 && option.multiplier == 100)
        #expect(option.putOrCall == "C" && option.expiry == "20260116" && option.avgCost == 1510.62)
        let round = "[" + page.positions.map(\.json).joined(separator: ",") + "]"
        #expect(try PortfolioPosition.decodePage(Data(round.utf8)).positions == page.positions)
        #expect(try PortfolioPosition.decodePage(Data("[]".utf8)).positions.isEmpty)
    }

    @Test func summary() throws {
        let entries = try AccountSummary.decode(try Recordings.data("portfolio_summary.json"))
        #expect(entries["netliquidation"]?.amount == 1_012_345.67)
        #expect(entries["netliquidation"]?.timestamp == 1_733_505_600_000)
        #expect(entries["totalcashvalue"]?.amount == 964_110.42)
        // isNull: no value, which is not zero.
        #expect(entries["accruedcash"]?.amount == nil)
        #expect(entries["accounttype"]?.value == "INDIVIDUAL")
        let balances = AccountSummary.balances(entries, account: "DU1234567", baseCurrency: "USD")
        let tags = balances.map(\.tag)
        #expect(tags.contains("NetLiquidation") && tags.contains("TotalCashValue") && tags.contains("BuyingPower"))
        #expect(!tags.contains("netliquidation-s") && !tags.contains("AccruedCash") && !tags.contains("accountcode"))
        #expect(balances.first { $0.tag == "NetLiquidation" }?.value == "1012345.67")
        #expect(try AccountSummary.decode(Data(AccountSummary.json(entries).utf8)) == entries)
    }

    @Test func partitionedPnL() throws {
        let rows = try PartitionedPnL.decode(try Recordings.data("pnl_partitioned.json"))
        #expect(rows == [PartitionedPnL(account: "DU1234567", model: "Core", dailyPnl: -215.3, netLiquidation: 1_012_345.67,
                                        unrealizedPnl: 5676.49, excessLiquidity: 985_000.5, marketValue: 48_235.25)])
        #expect(try PartitionedPnL.decode(Data(PartitionedPnL.json(rows).utf8)) == rows)
        #expect(throws: ClientPortalDecodingError.self) { try PartitionedPnL.decode(Data("{}".utf8)) }
        #expect(try PartitionedPnL.decode(Data(#"{"upnl":{"nodot":{"dpl":1},"U1.Core":7}}"#.utf8)).isEmpty)
    }
}
