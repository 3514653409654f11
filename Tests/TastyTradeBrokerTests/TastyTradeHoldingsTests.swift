import Store
import TastyTrade
import Testing
import TickhubCore

@testable import TastyTradeBroker

@Suite struct TastyTradeHoldingsTests {
    static let account = "5WT00001"

    @Test func aStockWithTastyTradesFiguresBeside() throws {
        let position = TastyPosition(
            accountNumber: Self.account, symbol: "AAPL", instrumentType: .equity, quantity: 50, averageOpenPrice: 212.40,
            closePrice: 215.00, mark: 220.10)
        guard case let .valued(holding) = TastyTradeHoldings.map(position) else { Issue.record("not valued"); return }
        #expect(holding.broker == "tastytrade")
        #expect(holding.instrument.symbol == "AAPL")
        #expect(holding.costPerUnit == 212.40)
        #expect(holding.brokerMarketPrice == 220.10)
        #expect(holding.brokerClosePrice == 215.00)
        #expect(abs(holding.brokerUnrealizedPnL! - 385.0) < 1e-9)
    }

    @Test func aShortIsNegativeAndItsPnLGainsAsThePriceFalls() throws {
        let position = TastyPosition(
            accountNumber: Self.account, symbol: "MSFT", instrumentType: .equity, quantity: -20, averageOpenPrice: 431, mark: 421,
            costEffect: "Debit")
        guard case let .valued(holding) = TastyTradeHoldings.map(position) else { Issue.record("not valued"); return }
        #expect(holding.quantity == -20)
        #expect(holding.brokerUnrealizedPnL == 200)
    }

    @Test func anOptionUnderItsPaddedRootIsPerShareTimesItsMultiplier() throws {
        let position = TastyPosition(
            accountNumber: Self.account, symbol: "SPY   271217C00600000", instrumentType: .equityOption, underlyingSymbol: "SPY",
            quantity: 3, averageOpenPrice: 48.10, mark: 50.10, multiplier: 100)
        guard case let .valued(holding) = TastyTradeHoldings.map(position) else { Issue.record("not valued"); return }
        #expect(holding.instrument.securityType == .option)
        #expect(holding.instrument.option?.underlying == "SPY")
        #expect(holding.instrument.option?.strike == 600)
        #expect(holding.multiplier == 100)
        #expect(holding.costIncludesMultiplier == false)
        #expect(abs(holding.brokerUnrealizedPnL! - 600) < 1e-9)
        let stored = TastyTradeHoldings.brokerPosition(position)
        #expect(stored.symbol == holding.instrument.symbol)
        #expect(stored.securityType == .option)
        #expect(stored.averageCost == 48.10)
        #expect(stored.unvaluedReason == nil)
    }

    @Test func bitcoinIsTickhubsBTC() {
        let position = TastyPosition(accountNumber: Self.account, symbol: "BTC/USD", instrumentType: .cryptocurrency, quantity: 0.25, averageOpenPrice: 61_200)
        guard case let .valued(holding) = TastyTradeHoldings.map(position) else { Issue.record("not valued"); return }
        #expect(holding.instrument.symbol == "BTC")
        #expect(holding.brokerUnrealizedPnL == nil)
    }

    @Test func aFutureIsKeptUnvaluedWithTheReason() {
        let position = TastyPosition(
            accountNumber: Self.account, symbol: "/ESZ6", instrumentType: .future, quantity: 1, averageOpenPrice: 5_585.25, multiplier: 50)
        guard case let .unvalued(holding) = TastyTradeHoldings.map(position) else { Issue.record("valued"); return }
        #expect(holding.symbol == "/ESZ6")
        #expect(holding.secType == "Future")
        #expect(holding.multiplier == 50)
        #expect(holding.averageCost == 5_585.25)
        #expect(holding.reason.contains("futures"))
        let stored = TastyTradeHoldings.brokerPosition(position)
        #expect(stored.symbol == "/ESZ6")
        #expect(stored.securityType == .future)
        #expect(stored.unvaluedReason == holding.reason)
    }

    @Test func anUnknownTypeIsNotGuessed() {
        let position = TastyPosition(accountNumber: Self.account, symbol: "XYZ", instrumentType: nil, instrumentTypeText: "Bond", quantity: 10, averageOpenPrice: 99)
        guard case let .unvalued(holding) = TastyTradeHoldings.map(position) else { Issue.record("valued"); return }
        #expect(holding.reason.contains("Bond"))
        let missingCost = TastyPosition(accountNumber: Self.account, symbol: "AAPL", instrumentType: .equity, quantity: 1)
        guard case let .unvalued(noCost) = TastyTradeHoldings.map(missingCost) else { Issue.record("valued"); return }
        #expect(noCost.reason.contains("average open price"))
        let split = TastyTradeHoldings.map([position, missingCost, TastyPosition(accountNumber: Self.account, symbol: "QQQ", instrumentType: .equity, quantity: 1, averageOpenPrice: 1)])
        #expect(split.valued.count == 1)
        #expect(split.unvalued.count == 2)
    }

    @Test func balancesUnderTheHubsTags() {
        var balance = TastyBalance(accountNumber: Self.account)
        balance.netLiquidatingValue = 123_456.78
        balance.cashBalance = -1_250.5
        balance.equityBuyingPower = 200_000
        balance.maintenanceRequirement = 15_000.25
        let tags = Dictionary(uniqueKeysWithValues: TastyTradeHoldings.accountBalances(balance).map { ($0.tag, $0) })
        #expect(tags["NetLiquidation"]?.value == "123456.78")
        #expect(tags["TotalCashValue"]?.value == "-1250.5")
        #expect(tags["BuyingPower"]?.value == "200000")
        #expect(tags["MaintMarginReq"]?.value == "15000.25")
        #expect(tags["NetLiquidation"]?.currency == "USD")
        #expect(tags["NetLiquidation"]?.account == Self.account)
        // Not sent, not written as zero.
        #expect(tags["DerivativeBuyingPower"] == nil)
        #expect(tags.count == 4)
    }
}
