import TWSProtocol
import TickhubCore

extension IBKRSession {
    func connected(serverVersion: Int, generation: Int) {
        guard generation == self.generation else { return }
        self.serverVersion = serverVersion
    }

    func receive(_ message: ServerMessage, generation: Int) {
        guard generation == self.generation else { return }
        messagesIn += 1
        lastHeardAt = Self.seconds()
        heartbeatSentAt = nil
        switch message {
        case let .tickPrice(tick): quoteTick(tick.requestID) { $0.apply(tick) }
        case let .tickSize(tick): quoteTick(tick.requestID) { $0.apply(tick) }
        case let .tickString(tick): quoteTick(tick.requestID) { $0.apply(tick) }
        case let .tickGeneric(tick): quoteTick(tick.requestID) { _ in false }
        case let .tickOptionComputation(tick): optionComputation(tick)
        case let .marketDataType(message): marketDataType(message)
        case let .error(error): self.error(error)
        case let .nextValidID(next): nextValidID(next.orderID)
        case let .managedAccounts(list): accounts = list.accounts
        case let .contractDetails(details): contractDetails(details)
        case let .contractDetailsEnd(end): contractDetailsEnd(end.requestID)
        case let .position(message): position(message)
        case .positionEnd: positionEnd()
        case let .accountSummary(row):
            accountValue(account: row.account, tag: row.tag, value: row.value, currency: row.currency)
        case let .accountSummaryEnd(end) where end.requestID == accountSummaryRequestID: publishAccountValues()
        case let .accountValue(row):
            accountValue(account: row.account, tag: row.key, value: row.value, currency: row.currency)
        case .accountDownloadEnd: publishAccountValues()
        // Every later round of account updates (TWS sends one every three minutes, or on a change) ends with its
        // time and no download end: publishing there is what keeps balances' "updated" times honest.
        case .accountUpdateTime: publishAccountValues()
        case let .portfolioValue(message): portfolioValue(message)
        case let .accountPnL(message): accountPnL(message)
        case let .positionPnL(message): positionPnL(message)
        case let .historicalData(message): historicalData(message)
        case let .historicalDataEnd(message): historicalDataEnd(message)
        case let .historicalDataUpdate(message): historicalDataUpdate(message)
        default: break
        }
    }

    func optionComputation(_ tick: TickOptionComputation) {
        guard let name = marketDataRequests[tick.requestID] else { return }
        var held = symbols[name]?.greeksTickType
        quoteTick(tick.requestID) { $0.apply(tick, held: &held) }
        symbols[name]?.greeksTickType = held
    }

    func nextValidID(_ id: Int) {
        // Never reuse an id, even one TWS would accept again after a reconnect.
        nextRequestID = max(nextRequestID, id)
        guard !isReady else { return }
        isReady = true
        lastHeardAt = Self.seconds()
        handshakeTimeout?.cancel()
        connectedSince = Self.epochMillis()
        connections += 1
        if connections > 1 { reconnects.increment() }
        logger.notice("connected to TWS at \(configuration.host):\(configuration.port) as client \(configuration.clientId), server version \(serverVersion ?? 0)")
        handle(.connected)
    }

    func error(_ error: ErrorMessage) {
        if error.requestID >= 0 {
            if historyError(error) { return }
            if let name = marketDataRequests[error.requestID] ?? qualifyRequests[error.requestID] {
                _ = symbolError(name, requestID: error.requestID, error)
                return
            }
        }
        let notice = TWSNotice(code: error.code)
        switch notice {
        case .clientIDInUse:
            lastError = "client id \(configuration.clientId) is already in use by another connection to TWS (326); set another with IBKR_CLIENT_ID or --ibkr-client-id"
            logger.error("\(lastError!)")
        case .pacing:
            lastError = "TWS says requests came too fast (\(error.code)): \(error.message)"
            logger.warning("\(lastError!)")
        case .farmRestored:
            logger.info("TWS \(error.code): \(error.message)")
            handle(.notice(notice))
        case .linkLost, .linkRestored, .farmBroken, .competingSession:
            logger.notice("TWS \(error.code): \(error.message)")
            handle(.notice(notice))
        case .informational:
            logger.debug("TWS \(error.code): \(error.message)")
        default:
            logger.warning("TWS error \(error.code) for request \(error.requestID): \(error.message)")
            if error.code < 2100, error.requestID < 0 { lastError = "TWS \(error.code): \(error.message)" }
        }
    }
}
