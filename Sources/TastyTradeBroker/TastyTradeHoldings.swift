import Store
import TastyTrade
import TickhubCore

/// TastyTrade's positions and balances in the hub's terms: a position Tickhub can name becomes a `Holding` (valued
/// live, with TastyTrade's mark, close and P&L beside Tickhub's); one it cannot (a future) an `UnvaluedHolding` with
/// the reason, so the portfolio never looks smaller than it is. Balances become the account tags the hub sums.
public enum TastyTradeHoldings {
    /// One position, mapped.
    public enum Mapped: Sendable, Equatable {
        case valued(Holding)
        case unvalued(UnvaluedHolding)
    }

    public static func map(_ position: TastyPosition, broker: String = TastyTradeSync.broker) -> Mapped {
        switch instrument(of: position) {
        case let .success(instrument):
            guard let cost = position.averageOpenPrice else {
                return .unvalued(unvalued(position, broker: broker, reason: "TastyTrade gave no average open price, so no P&L can be measured"))
            }
            // Prices are per unit (per share, per coin, per option share); the multiplier makes them money.
            let brokerPnL = position.mark.map { ($0 - cost) * position.quantity * position.multiplier }
            return .valued(Holding(
                broker: broker, account: position.accountNumber, instrument: instrument, quantity: position.quantity,
                averageCost: cost, multiplier: position.multiplier, currency: instrument.currency, costIncludesMultiplier: false,
                brokerUnrealizedPnL: brokerPnL, brokerMarketPrice: position.mark, brokerClosePrice: position.closePrice))
        case let .failure(unmapped):
            return .unvalued(unvalued(position, broker: broker, reason: unmapped.reason))
        }
    }

    /// An account's positions, split into what the hub values and what it lists unvalued.
    public static func map(_ positions: [TastyPosition], broker: String = TastyTradeSync.broker) -> (valued: [Holding], unvalued: [UnvaluedHolding]) {
        var valued: [Holding] = []
        var unvalued: [UnvaluedHolding] = []
        for position in positions {
            switch map(position, broker: broker) {
            case let .valued(holding): valued.append(holding)
            case let .unvalued(holding): unvalued.append(holding)
            }
        }
        return (valued, unvalued)
    }

    /// The position as the store keeps a broker's synced rows: Tickhub's symbol when it has one, else TastyTrade's
    /// own with the reason it is not valued. Cost per unit, as TastyTrade gives it.
    public static func brokerPosition(_ position: TastyPosition) -> BrokerPosition {
        switch map(position) {
        case let .valued(holding):
            return BrokerPosition(
                symbol: holding.instrument.symbol, securityType: holding.instrument.securityType, quantity: position.quantity,
                averageCost: holding.averageCost, multiplier: position.multiplier, currency: holding.currency)
        case let .unvalued(holding):
            return BrokerPosition(
                symbol: position.symbol, securityType: securityType(of: position), quantity: position.quantity,
                averageCost: position.averageOpenPrice ?? 0, multiplier: position.multiplier, currency: holding.currency,
                unvaluedReason: holding.reason)
        }
    }

    /// The balance figures under the tags the hub and IBKR use (NetLiquidation and TotalCashValue feed the portfolio
    /// summary); a figure TastyTrade did not send is left out, not written as zero.
    public static func accountBalances(_ balance: TastyBalance) -> [AccountBalance] {
        let currency = balance.currency ?? "USD"
        let figures: [(String, Double?)] = [
            ("NetLiquidation", balance.netLiquidatingValue),
            ("TotalCashValue", balance.cashBalance),
            ("BuyingPower", balance.equityBuyingPower),
            ("DerivativeBuyingPower", balance.derivativeBuyingPower),
            ("DayTradingBuyingPower", balance.dayTradingBuyingPower),
            ("MaintMarginReq", balance.maintenanceRequirement),
            ("EquityWithLoanValue", balance.marginEquity),
        ]
        return figures.compactMap { tag, value in
            guard let value, value.isFinite else { return nil }
            return AccountBalance(account: balance.accountNumber, tag: tag, value: decimalText(value), currency: currency)
        }
    }

    static func instrument(of position: TastyPosition) -> Result<Instrument, TastySymbol.Unmapped> {
        // A type this vocabulary does not know is not guessed from the symbol's shape: a wrong guess values it wrong.
        guard let type = position.instrumentType else {
            let named = position.instrumentTypeText.isEmpty ? "no instrument type" : "instrument type \(position.instrumentTypeText)"
            return .failure(TastySymbol.Unmapped("TastyTrade gave \(named), which Tickhub does not value"))
        }
        return TastySymbol.instrument(orderSymbol: position.symbol, type: type)
    }

    private static func unvalued(_ position: TastyPosition, broker: String, reason: String) -> UnvaluedHolding {
        UnvaluedHolding(
            broker: broker, account: position.accountNumber, symbol: position.symbol,
            secType: position.instrumentTypeText.isEmpty ? securityType(of: position).rawValue : position.instrumentTypeText,
            quantity: position.quantity, multiplier: position.multiplier, averageCost: position.averageOpenPrice, currency: "USD",
            reason: reason)
    }

    private static func securityType(of position: TastyPosition) -> SecurityType {
        switch position.instrumentType {
        case .equity?: .stock
        case .equityOption?: .option
        case .cryptocurrency?: .crypto
        case .future?, .futureOption?, nil: .future
        }
    }

    /// Plain decimal text the hub's `Double(_:)` reads back exactly.
    static func decimalText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
