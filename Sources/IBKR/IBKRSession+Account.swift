import TWSProtocol
import TickhubCore

extension IBKRSession {
    /// The account for account updates and P&L: the configured one, else the first TWS manages.
    var primaryAccount: String? {
        configuration.accountId.isEmpty ? accounts.first : configuration.accountId
    }

    /// Positions, account summary, account updates and P&L: requested on every (re)connection.
    func requestAccountData() {
        collectingPositions = [:]
        send(RequestPositions())
        // After 1101 the old summary may linger at TWS; at most two may be active, so let it go first.
        if let previous = accountSummaryRequestID { send(CancelAccountSummary(requestID: previous)) }
        let summaryID = takeRequestID()
        accountSummaryRequestID = summaryID
        send(RequestAccountSummary(requestID: summaryID, tags: configuration.accountSummaryTags.joined(separator: ",")))
        guard let account = primaryAccount else { return }
        send(RequestAccountUpdates(subscribe: true, account: account))
        let pnlID = takeRequestID()
        accountPnLRequestID = pnlID
        send(RequestPnL(requestID: pnlID, account: account))
    }

    func positionSnapshot() -> [IBKRPosition] {
        positions.values.sorted { ($0.account, $0.contract.symbol, $0.conId) < ($1.account, $1.contract.symbol, $1.conId) }
    }

    func position(_ message: Position) {
        let key = PositionKey(account: message.account, conId: message.contract.conId)
        var position = positions[key] ?? IBKRPosition(account: message.account, contract: message.contract)
        position.quantity = message.position
        position.averageCost = message.averageCost
        if collectingPositions != nil {
            collectingPositions?[key] = position
        } else {
            // An update after positionEnd: TWS reports changes as they happen.
            positions[key] = position
            positionsDirty = true
            requestPositionPnL()
        }
    }

    func positionEnd() {
        guard let collected = collectingPositions else { return }
        collectingPositions = nil
        // Positions IBKR no longer reports are closed.
        positions = collected
        positionsDirty = true
        requestPositionPnL()
    }

    /// reqPnLSingle for every open position of the primary account that has none on this connection.
    func requestPositionPnL() {
        let requested = Set(positionPnLRequests.values)
        for (key, position) in positions where position.quantity != 0 && !requested.contains(key) && key.account == primaryAccount {
            let requestID = takeRequestID()
            positionPnLRequests[requestID] = key
            send(RequestPnLSingle(requestID: requestID, account: key.account, conId: key.conId))
        }
        for (requestID, key) in positionPnLRequests where positions[key].map({ $0.quantity == 0 }) ?? true {
            positionPnLRequests[requestID] = nil
            send(CancelPnLSingle(requestID: requestID))
        }
    }

    func portfolioValue(_ message: PortfolioValue) {
        let key = PositionKey(account: message.account, conId: message.contract.conId)
        guard var position = positions[key] else { return }
        position.marketPrice = message.marketPrice
        position.marketValue = message.marketValue
        position.unrealizedPnL = message.unrealizedPnL
        position.realizedPnL = message.realizedPnL
        positions[key] = position
        positionsDirty = true
    }

    func positionPnL(_ message: PositionPnL) {
        guard let key = positionPnLRequests[message.requestID], var position = positions[key] else { return }
        position.dailyPnL = message.dailyPnL
        if let unrealized = message.unrealizedPnL { position.unrealizedPnL = unrealized }
        if let realized = message.realizedPnL { position.realizedPnL = realized }
        if let value = message.value { position.marketValue = value }
        positions[key] = position
        positionsDirty = true
    }

    func accountValue(account: String, tag: String, value: String, currency: String) {
        accountValues["\(account)|\(tag)|\(currency)"] = AccountBalance(account: account, tag: tag, value: value, currency: currency)
    }

    func publishAccountValues() {
        emit(.accountValues(accountValues.values.sorted { ($0.account, $0.tag, $0.currency) < ($1.account, $1.tag, $1.currency) }))
    }

    func accountPnL(_ message: AccountPnL) {
        guard message.requestID == accountPnLRequestID, let account = primaryAccount else { return }
        let pnl = IBKRAccountPnL(account: account, dailyPnL: message.dailyPnL, unrealizedPnL: message.unrealizedPnL, realizedPnL: message.realizedPnL)
        accountPnL = pnl
        emit(.accountPnL(pnl))
    }
}
