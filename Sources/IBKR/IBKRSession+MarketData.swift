import Logging
import NIOCore
import TWSProtocol
import TickhubCore

extension IBKRSession {
    func subscribe(_ instruments: [Instrument]) {
        for instrument in instruments where symbols[instrument.symbol] == nil {
            symbols[instrument.symbol] = SymbolSubscription(instrument: instrument)
            order.append(instrument.symbol)
            emit(.symbolStatus(symbol: instrument.symbol, .pending))
        }
        rankOrder()
        assignLines()
    }

    /// Takes the hub's ranking (SymbolInterest.fairShareOrder) and gives lines by it.
    func prioritize(_ ranked: [String]) {
        lineRanks = [:]
        for (place, name) in ranked.enumerated() where lineRanks[name] == nil { lineRanks[name] = place }
        rankOrder()
        assignLines()
    }

    /// Sorts `order` by rank, keeping arrival order among the unranked.
    func rankOrder() {
        guard !lineRanks.isEmpty else { return }
        var arrival: [String: Int] = [:]
        for (place, name) in order.enumerated() where arrival[name] == nil { arrival[name] = place }
        order.sort { a, b in
            let (ra, rb) = (lineRanks[a] ?? .max, lineRanks[b] ?? .max)
            return ra != rb ? ra < rb : arrival[a, default: .max] < arrival[b, default: .max]
        }
    }

    func unsubscribe(_ names: [String]) {
        var removed = false
        for name in names {
            guard symbols[name] != nil else { continue }
            releaseLine(name)
            symbols[name] = nil
            removed = true
        }
        if removed {
            order.removeAll { symbols[$0] == nil }
            assignLines()
        }
    }

    /// Gives lines in `order`, up to the budget. A symbol holding a line that a better-ranked one needs gives it up
    /// and is over budget, for a fallback to serve, like any symbol without a line.
    func assignLines() {
        guard isReady else { return }
        let contenders = order.filter { name in
            guard let subscription = symbols[name] else { return false }
            return subscription.holdsLine || subscription.phase == .waiting || subscription.phase == .overBudget
        }
        let entitled = Set(contenders.prefix(lineCap))
        for name in contenders where !entitled.contains(name) {
            releaseLine(name)
            if symbols[name]?.phase != .overBudget {
                symbols[name]?.phase = .overBudget
                emit(.symbolStatus(symbol: name, .overBudget))
            }
        }
        for name in contenders where entitled.contains(name) {
            if let phase = symbols[name]?.phase, phase == .waiting || phase == .overBudget { start(name) }
        }
    }

    /// Gives up the symbol's line (its market-data request, or the qualification that precedes it).
    func releaseLine(_ name: String) {
        switch symbols[name]?.phase {
        case let .streaming(requestID):
            marketDataRequests[requestID] = nil
            send(CancelMarketData(requestID: requestID))
        case let .qualifying(requestID):
            qualifyRequests[requestID] = nil
        default: break
        }
    }

    /// Qualifies the symbol's contract once, then requests its market data.
    func start(_ name: String) {
        guard let subscription = symbols[name] else { return }
        if subscription.contract != nil {
            requestMarketData(name)
            return
        }
        let requestID = takeRequestID()
        qualifyRequests[requestID] = name
        symbols[name]?.phase = .qualifying(requestID: requestID)
        send(RequestContractDetails(requestID: requestID, contract: Contract(subscription.instrument)))
    }

    func requestMarketData(_ name: String) {
        guard let contract = symbols[name]?.contract else { return }
        let requestID = takeRequestID()
        marketDataRequests[requestID] = name
        symbols[name]?.phase = .streaming(requestID: requestID)
        send(RequestMarketData(requestID: requestID, contract: contract))
        emit(.symbolStatus(symbol: name, .streaming))
    }

    func end(_ name: String, _ reason: TWSNotice.RequestEndReason) {
        guard symbols[name] != nil else { return }
        symbols[name]?.phase = .ended(reason)
        emit(.symbolStatus(symbol: name, .ended(reason)))
        assignLines()
    }

    /// Every subscription again with fresh request ids: after a new connection or 1101 ("data lost").
    func resubscribeAll() {
        qualifyRequests = [:]
        marketDataRequests = [:]
        // After 1101 TWS has forgotten the per-position P&L requests too; positionEnd requests them again.
        positionPnLRequests = [:]
        lineCap = configuration.lineBudget
        for name in order {
            switch symbols[name]?.phase {
            case .qualifying, .streaming, .overBudget: symbols[name]?.phase = .waiting
            default: break
            }
        }
        if configuration.marketDataType != 1 { send(RequestMarketDataType(configuration.marketDataType)) }
        assignLines()
        requestAccountData()
        resumeBarFollows()
    }

    func markAllStale() {
        for name in order {
            guard var quote = symbols[name]?.quote, quote.hasPrice, !quote.stale else { continue }
            quote.stale = true
            symbols[name]?.quote = quote
            emit(.quote(quote))
        }
    }

    /// After 1102, TWS says data is maintained; traders have seen streams stay silent anyway. Any stream
    /// without a tick after the grace period gets a fresh request.
    func scheduleResumptionCheck() {
        let restoredAt = NIODeadline.now()
        let session = bound
        resumeCheck?.cancel()
        resumeCheck = loop.scheduleTask(in: .nanoseconds(Int64(configuration.resumeCheckSeconds * 1e9))) {
            session.value.resubscribeSilent(since: restoredAt)
        }
    }

    func resubscribeSilent(since restoredAt: NIODeadline) {
        var renewed = 0
        for name in order {
            guard case let .streaming(requestID)? = symbols[name]?.phase else { continue }
            if let last = symbols[name]?.lastTickAt, last >= restoredAt { continue }
            marketDataRequests[requestID] = nil
            send(CancelMarketData(requestID: requestID))
            requestMarketData(name)
            renewed += 1
        }
        if renewed > 0 { logger.notice("\(renewed) streams stayed silent after 1102; resubscribed them") }
    }

    // MARK: Inbound

    func quoteTick(_ requestID: Int, _ apply: (inout Quote) -> Bool) {
        guard let name = marketDataRequests[requestID], var subscription = symbols[name] else { return }
        subscription.lastTickAt = .now()
        let changed = apply(&subscription.quote)
        if changed || subscription.quote.stale {
            subscription.quote.stale = false
            subscription.quote.timestamp = Self.epochMillis()
            dirtyQuotes.insert(name)
        }
        symbols[name] = subscription
        if machine.degraded.contains(.competingSession) { handle(.ticksResumed) }
    }

    func marketDataType(_ message: MarketDataType) {
        guard let name = marketDataRequests[message.requestID] else { return }
        let delayed = message.marketDataType >= 3
        if symbols[name]?.quote.delayed != delayed {
            symbols[name]?.quote.delayed = delayed
            dirtyQuotes.insert(name)
        }
    }

    func contractDetails(_ details: ContractDetails) {
        guard let name = qualifyRequests[details.requestID], symbols[name]?.contract == nil else { return }
        var contract = details.contract
        // Keep the routing the instrument asked for (SMART), not the listing venue.
        contract.exchange = symbols[name]?.instrument.exchange ?? contract.exchange
        symbols[name]?.contract = contract
    }

    func contractDetailsEnd(_ requestID: Int) {
        guard let name = qualifyRequests.removeValue(forKey: requestID) else { return }
        if symbols[name]?.contract != nil {
            requestMarketData(name)
        } else {
            end(name, .unknownContract)
        }
    }

    /// A line about one symbol, within `symbolLog`'s allowance.
    func logSymbol(_ level: Logger.Level, _ message: String) {
        let allowance = symbolLog.admit(now: Self.epochMillis())
        guard allowance.write else { return }
        logger.log(level: level, "\(message)\(LogAllowance.suffix(allowance.leftOut))")
    }

    /// An error that names one of our market-data or qualification requests.
    func symbolError(_ name: String, requestID: Int, _ error: ErrorMessage) -> Bool {
        let notice = TWSNotice(code: error.code)
        switch notice {
        case let .requestEnded(reason):
            marketDataRequests[requestID] = nil
            qualifyRequests[requestID] = nil
            logSymbol(.notice, "\(name): IBKR cannot serve it (\(error.code) \(error.message))")
            end(name, reason)
        case .maxTickers:
            marketDataRequests[requestID] = nil
            let held = symbols.values.filter(\.holdsLine).count - 1
            lineCap = max(0, held)
            logger.warning("TWS has no market-data line left (101) with \(held) in use; lowering the line budget to \(lineCap)")
            symbols[name]?.phase = .overBudget
            emit(.symbolStatus(symbol: name, .overBudget))
        case let .advisory(delayedFollows):
            if delayedFollows, symbols[name]?.quote.delayed == false {
                symbols[name]?.quote.delayed = true
                dirtyQuotes.insert(name)
            }
        case .competingSession:
            // TWS sends 10197 once per ticker, but it is about the whole session: the stream stays, the
            // connection is degraded until ticks flow again.
            logSymbol(.notice, "\(name): TWS \(error.code) \(error.message)")
            handle(.notice(notice))
        case .requestBookkeeping:
            logger.error("\(name): request \(requestID) refused (\(error.code) \(error.message)); requesting again")
            marketDataRequests[requestID] = nil
            qualifyRequests[requestID] = nil
            symbols[name]?.phase = .waiting
            assignLines()
        default:
            logSymbol(.warning, "\(name): TWS error \(error.code) \(error.message)")
            if qualifyRequests.removeValue(forKey: requestID) != nil { end(name, .invalidRequest) }
        }
        return true
    }

    /// Emits what changed during one read from the socket: one event per changed quote, not per tick.
    func flushChanges() {
        for name in dirtyQuotes {
            if let quote = symbols[name]?.quote { emit(.quote(quote)) }
        }
        dirtyQuotes.removeAll(keepingCapacity: true)
        if positionsDirty {
            positionsDirty = false
            emit(.positions(positionSnapshot()))
        }
    }
}
