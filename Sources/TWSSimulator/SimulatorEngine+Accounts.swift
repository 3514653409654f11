import Foundation
import TWSProtocol
import TickhubCore

extension SimulatorEngine {
    /// Every position of every account, valued at the simulator's current prices.
    func valuations(account: String? = nil) -> [PositionValuation] {
        configuration.portfolio.accounts.filter { account == nil || $0.id == account }.flatMap { acct in
            acct.positions.compactMap { holding -> PositionValuation? in
                guard let instrument = try? SymbolGrammar.parse(holding.symbol),
                      let listing = listing(for: instrument)
                else {
                    logger.warning("portfolio position \(holding.symbol) is not in the simulator's universe")
                    return nil
                }
                let walk = walk(for: listing)
                let mark = walk.hasTrades ? walk.last : (walk.bid + walk.ask) / 2
                return PositionValuation(
                    account: acct.id, instrument: listing.instrument, conId: listing.conId,
                    quantity: holding.quantity, averageCost: holding.averageCost, marketPrice: mark,
                    previousClose: walk.close)
            }
        }
    }

    func positions(on session: SimulatorSession) {
        for valuation in valuations() {
            guard let listing = listing(for: valuation.instrument) else { continue }
            var contract = qualifiedContract(listing)
            // position (61) carries the routing exchange: the listing for stocks, nothing for derivatives.
            contract.exchange = valuation.instrument.securityType == .option ? "" : listing.primaryExchange
            session.send(Position(account: valuation.account, contract: contract,
                                  position: valuation.quantity, averageCost: valuation.averageCost))
        }
        session.send(PositionEnd())
    }

    /// Account values by tag, in the account's currency, derived from cash and positions.
    func accountValues(_ account: SimulatedPortfolio.Account) -> [(tag: String, value: String, currency: String)] {
        let positions = valuations(account: account.id)
        let marketValue = positions.reduce(0) { $0 + $1.marketValue }
        let gross = positions.reduce(0) { $0 + abs($1.marketValue) }
        let unrealized = positions.reduce(0) { $0 + $1.unrealizedPnL }
        let netLiquidation = account.cash + marketValue
        let initialMargin = gross * 0.25
        let maintenanceMargin = gross * 0.2
        let money = { (v: Double) in String(format: "%.2f", v) }
        let c = account.currency
        return [
            ("AccountType", "INDIVIDUAL", ""),
            ("NetLiquidation", money(netLiquidation), c),
            ("TotalCashValue", money(account.cash), c),
            ("SettledCash", money(account.cash), c),
            ("BuyingPower", money(max(0, netLiquidation - initialMargin) * 4), c),
            ("EquityWithLoanValue", money(netLiquidation), c),
            ("GrossPositionValue", money(gross), c),
            ("InitMarginReq", money(initialMargin), c),
            ("MaintMarginReq", money(maintenanceMargin), c),
            ("AvailableFunds", money(netLiquidation - initialMargin), c),
            ("ExcessLiquidity", money(netLiquidation - maintenanceMargin), c),
            ("Cushion", String(format: "%.4f", netLiquidation == 0 ? 0 : (netLiquidation - maintenanceMargin) / netLiquidation), ""),
            ("UnrealizedPnL", money(unrealized), c),
            ("RealizedPnL", money(account.realizedPnL), c),
        ]
    }

    /// The per-currency ledger tags of a single-currency account.
    func ledgerValues(_ account: SimulatedPortfolio.Account) -> [(tag: String, value: String)] {
        let positions = valuations(account: account.id)
        func sum(_ type: SecurityType?) -> Double {
            positions.filter { type == nil || $0.instrument.securityType == type }.reduce(0) { $0 + $1.marketValue }
        }
        let money = { (v: Double) in String(format: "%.2f", v) }
        return [
            ("CashBalance", money(account.cash)),
            ("TotalCashBalance", money(account.cash)),
            ("StockMarketValue", money(sum(.stock))),
            ("OptionMarketValue", money(sum(.option))),
            ("NetLiquidationByCurrency", money(account.cash + sum(nil))),
            ("UnrealizedPnL", money(positions.reduce(0) { $0 + $1.unrealizedPnL })),
            ("RealizedPnL", money(account.realizedPnL)),
            ("ExchangeRate", "1.00"),
        ]
    }

    func accountSummary(_ request: RequestAccountSummary, on session: SimulatorSession) {
        // TWS allows two account-summary subscriptions at once.
        guard session.accountSummaryRequests.count < 2 || session.accountSummaryRequests.contains(request.requestID) else {
            sendError(to: session, request.requestID, 322,
                "Error processing request.-'bW' : cause - Maximum number of account summary requests exceeded")
            return
        }
        session.accountSummaryRequests.insert(request.requestID)
        let wanted = Set(request.tags.split(separator: ",").map { String($0) })
        for account in configuration.portfolio.accounts {
            for (tag, value, currency) in accountValues(account) where wanted.contains(tag) {
                session.send(AccountSummary(requestID: request.requestID, account: account.id, tag: tag, value: value, currency: currency))
            }
            // $LEDGER: per-currency values; the account's currency stands for BASE with `$LEDGER`,
            // `$LEDGER:ALL` adds BASE rows, `$LEDGER:<CCY>` names one currency.
            var ledgerCurrencies: [String] = []
            if wanted.contains("$LEDGER") { ledgerCurrencies.append(account.currency) }
            if wanted.contains("$LEDGER:ALL") { ledgerCurrencies += ["BASE", account.currency] }
            if wanted.contains("$LEDGER:\(account.currency)") { ledgerCurrencies.append(account.currency) }
            for currency in Set(ledgerCurrencies).sorted() {
                for (tag, value) in ledgerValues(account) {
                    session.send(AccountSummary(requestID: request.requestID, account: account.id, tag: tag, value: value, currency: currency))
                }
            }
        }
        session.send(AccountSummaryEnd(requestID: request.requestID))
    }

    func accountUpdates(_ request: RequestAccountUpdates, on session: SimulatorSession) {
        guard request.subscribe else {
            session.accountUpdatesAccount = nil
            return
        }
        let account = request.account.isEmpty ? (accountIDs.first ?? "") : request.account
        session.accountUpdatesAccount = account
        sendAccountUpdates(account: account, on: session, downloadEnd: true)
    }

    func sendAccountUpdates(account accountID: String, on session: SimulatorSession, downloadEnd: Bool) {
        guard let account = configuration.portfolio.accounts.first(where: { $0.id == accountID }) else {
            if downloadEnd { session.send(AccountDownloadEnd(account: accountID)) }
            return
        }
        session.send(AccountValue(key: "AccountCode", value: account.id, currency: "", account: account.id))
        session.send(AccountValue(key: "AccountReady", value: "true", currency: "", account: account.id))
        session.send(AccountValue(key: "Currency", value: account.currency, currency: account.currency, account: account.id))
        for (tag, value, currency) in accountValues(account) {
            session.send(AccountValue(key: tag, value: value, currency: currency, account: account.id))
        }
        for valuation in valuations(account: account.id) {
            guard let listing = listing(for: valuation.instrument) else { continue }
            var update = PortfolioValue()
            update.contract = qualifiedContract(listing)
            if update.contract.secType == "STK" { update.contract.right = "0" }
            update.position = valuation.quantity
            update.marketPrice = valuation.marketPrice
            update.marketValue = (valuation.marketValue * 100).rounded() / 100
            update.averageCost = valuation.averageCost
            update.unrealizedPnL = (valuation.unrealizedPnL * 100).rounded() / 100
            update.realizedPnL = 0
            update.account = account.id
            session.send(update)
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm"
        session.send(AccountUpdateTime(time: formatter.string(from: Date())))
        if downloadEnd { session.send(AccountDownloadEnd(account: account.id)) }
    }

    func accountUpdatesMulti(_ request: RequestAccountUpdatesMulti, on session: SimulatorSession) {
        if let account = configuration.portfolio.accounts.first(where: { $0.id == request.account }) {
            for (tag, value, currency) in accountValues(account) {
                var update = AccountUpdateMulti()
                update.requestID = request.requestID
                update.account = account.id
                update.modelCode = request.modelCode
                update.key = tag
                update.value = value
                update.currency = currency
                session.send(update)
            }
        }
        session.send(AccountUpdateMultiEnd(requestID: request.requestID))
    }

    func sendAccountPnL(_ requestID: Int, account: String, on session: SimulatorSession) {
        let positions = valuations(account: account)
        let realized = configuration.portfolio.accounts.first { $0.id == account }?.realizedPnL ?? 0
        session.send(AccountPnL(
            requestID: requestID,
            dailyPnL: positions.reduce(0) { $0 + $1.dailyPnL },
            unrealizedPnL: positions.reduce(0) { $0 + $1.unrealizedPnL },
            realizedPnL: realized))
    }

    func positionPnL(_ request: RequestPnLSingle, on session: SimulatorSession) {
        // TWS sends nothing at all for a conId the account does not hold.
        guard valuations(account: request.account).contains(where: { $0.conId == request.conId }) else { return }
        session.positionPnLRequests[request.requestID] = (request.account, request.conId)
        sendPositionPnL(request.requestID, account: request.account, conId: request.conId, on: session)
    }

    func sendPositionPnL(_ requestID: Int, account: String, conId: Int, on session: SimulatorSession) {
        guard let valuation = valuations(account: account).first(where: { $0.conId == conId }) else { return }
        session.send(PositionPnL(
            requestID: requestID, position: valuation.quantity, dailyPnL: valuation.dailyPnL,
            unrealizedPnL: valuation.unrealizedPnL, realizedPnL: 0, value: valuation.marketValue))
    }
}
