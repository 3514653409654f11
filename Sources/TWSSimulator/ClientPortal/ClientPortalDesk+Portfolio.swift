internal import ClientPortal
import Foundation
import TickhubCore

extension ClientPortalDesk {
    func portfolioAccounts() -> GatewayReply {
        .ok(PortfolioAccount.json(engine.configuration.portfolio.accounts.map {
            PortfolioAccount(accountId: $0.id, currency: $0.currency, type: "DEMO", displayName: $0.id)
        }))
    }

    private func account(_ id: String) -> SimulatedPortfolio.Account? {
        engine.configuration.portfolio.accounts.first { $0.id == id }
    }

    /// `/portfolio/{acct}/positions/{page}`: pages from 0 of the gateway's page size; one past the end is empty.
    func positions(account id: String, page: String) -> GatewayReply {
        guard let account = account(id) else { return .error(.badRequest, "Bad Request: unknown account \(id)") }
        guard let number = Int(page), number >= 0 else {
            return .error(.badRequest, "Bad Request: page '\(page)' is not a page number")
        }
        let all = engine.valuations(account: account.id)
        let size = PortfolioPosition.pageSize
        let start = min(all.count, number * size)
        let rows = all[start..<min(all.count, start + size)].map { position($0, account: account).json }
        return .ok("[" + rows.joined(separator: ",") + "]")
    }

    private func position(_ valuation: PositionValuation, account: SimulatedPortfolio.Account) -> PortfolioPosition {
        let instrument = valuation.instrument
        let round = { (value: Double, places: Double) in (value * places).rounded() / places }
        var position = PortfolioPosition(
            accountId: account.id, conid: valuation.conId, contractDesc: Self.contractDescription(instrument),
            quantity: valuation.quantity)
        position.marketPrice = round(valuation.marketPrice, 1e6)
        position.marketValue = round(valuation.marketValue, 100)
        // IBKR's avgCost carries the multiplier (per contract); avgPrice is per share.
        position.avgCost = round(valuation.averageCost, 1e6)
        position.avgPrice = round(valuation.averageCost / instrument.multiplier, 1e6)
        position.unrealizedPnl = round(valuation.unrealizedPnL, 100)
        position.realizedPnl = 0
        position.currency = instrument.currency
        position.assetClass = instrument.securityType.rawValue
        position.multiplier = instrument.multiplier
        position.ticker = instrument.option?.underlying ?? instrument.root
        if let terms = instrument.option {
            position.expiry = terms.expiry
            position.strike = terms.strike
            position.putOrCall = terms.right == .call ? "C" : "P"
        }
        return position
    }

    /// IBKR's description of a contract: the symbol, or an option's underlying, expiry, strike and right.
    static func contractDescription(_ instrument: Instrument) -> String {
        guard let terms = instrument.option else { return instrument.symbol }
        let strike = terms.strike == terms.strike.rounded() ? String(Int(terms.strike)) : String(terms.strike)
        return "\(terms.underlying) \(terms.expiry) \(strike) \(terms.right == .call ? "C" : "P")"
    }

    /// `/portfolio/{acct}/summary`: the TWS side's account values, one entry per lower-cased tag.
    func summary(account id: String) -> GatewayReply {
        guard let account = account(id) else { return .error(.badRequest, "Bad Request: unknown account \(id)") }
        var entries: [String: AccountSummaryEntry] = [:]
        for (tag, value, currency) in engine.accountValues(account) {
            let amount = Double(value)
            entries[tag.lowercased()] = AccountSummaryEntry(
                amount: amount, currency: currency.isEmpty ? nil : currency, timestamp: nowMilliseconds,
                value: amount == nil ? value : nil)
        }
        return .ok(AccountSummary.json(entries))
    }

    /// `/iserver/account/pnl/partitioned`: each account's daily and unrealized P&L, net liquidation, excess
    /// liquidity and market value, under "<account>.Core".
    func partitionedPnL() -> GatewayReply {
        let rows = engine.configuration.portfolio.accounts.map { account -> PartitionedPnL in
            let positions = engine.valuations(account: account.id)
            var values: [String: Double] = [:]
            for (tag, value, _) in engine.accountValues(account) { values[tag] = Double(value) }
            let money = { (value: Double) in (value * 100).rounded() / 100 }
            return PartitionedPnL(
                account: account.id, dailyPnl: money(positions.reduce(0) { $0 + $1.dailyPnL }),
                netLiquidation: values["NetLiquidation"], unrealizedPnl: money(positions.reduce(0) { $0 + $1.unrealizedPnL }),
                excessLiquidity: values["ExcessLiquidity"], marketValue: money(positions.reduce(0) { $0 + $1.marketValue }))
        }
        return .ok(PartitionedPnL.json(rows))
    }
}
