import NIOCore
import TWSProtocol
import TickhubCore

extension SimulatorEngine {
    /// The listing a request's contract names, by conId or by its terms.
    func listing(for contract: Contract) -> SymbolUniverse.Listing? {
        if contract.conId != 0 { return listingsByConId[contract.conId] }
        guard let instrument = contract.instrument else { return nil }
        return listing(for: instrument)
    }

    /// Resolves an instrument and remembers options by conId, so a client can use the conId it was given.
    func listing(for instrument: Instrument) -> SymbolUniverse.Listing? {
        guard let listing = configuration.universe.listing(for: instrument) else { return nil }
        listingsByConId[listing.conId] = listing
        return listing
    }

    func walk(for listing: SymbolUniverse.Listing) -> PriceWalk {
        if let walk = walks[listing.instrument.symbol] { return walk }
        let walk = PriceWalk(listing: listing, generator: &generator, now: now)
        walks[listing.instrument.symbol] = walk
        return walk
    }

    /// The contract as TWS describes it back: conId, local symbol, trading class and listing exchange filled in.
    func qualifiedContract(_ listing: SymbolUniverse.Listing) -> Contract {
        var contract = Contract(listing.instrument, conId: listing.conId)
        contract.primaryExchange = listing.primaryExchange
        switch listing.instrument.securityType {
        case .stock:
            contract.localSymbol = listing.instrument.root
            contract.tradingClass = listing.primaryExchange == "NASDAQ" ? "NMS" : listing.instrument.root
        case .forex:
            contract.localSymbol = listing.instrument.symbol
            contract.tradingClass = listing.instrument.symbol
        case .crypto:
            contract.localSymbol = listing.instrument.symbol + ".USD"
            contract.tradingClass = listing.instrument.symbol
        case .option:
            let terms = listing.instrument.option!
            let padded = terms.underlying.padding(toLength: 6, withPad: " ", startingAt: 0)
            contract.localSymbol = padded + listing.instrument.symbol.split(separator: " ").last!
            contract.tradingClass = terms.underlying
        default: break
        }
        return contract
    }

    func contractDetails(_ request: RequestContractDetails, on session: SimulatorSession) {
        guard let listing = listing(for: request.contract) else {
            sendError(to: session, request.requestID, 200, "No security definition has been found for the request")
            return
        }
        var details = ContractDetails()
        details.requestID = request.requestID
        details.contract = qualifiedContract(listing)
        details.contract.exchange = request.contract.exchange.isEmpty ? listing.instrument.exchange : request.contract.exchange
        details.marketName = details.contract.tradingClass
        details.minTick = walk(for: listing).minTick
        details.orderTypes = "ACTIVETIM,AD,ALERT,ALGO,DAY,GTC,IOC,LMT,MKT,MOC,STP,STPLMT,TRAIL"
        details.validExchanges = listing.instrument.securityType == .stock ? "SMART,NASDAQ,NYSE,ARCA,IEX" : listing.instrument.exchange
        details.longName = listing.longName
        details.timeZoneID = listing.instrument.securityType == .crypto ? "US/Central" : "US/Eastern"
        details.tradingHours = "20261123:0400-20261123:2000;20261124:0400-20261124:2000"
        details.liquidHours = "20261123:0930-20261123:1600;20261124:0930-20261124:1600"
        details.stockType = listing.instrument.securityType == .stock ? "COMMON" : ""
        details.minSize = listing.instrument.securityType == .crypto ? "0.0001" : "1"
        details.sizeIncrement = details.minSize
        details.suggestedSizeIncrement = "100"
        details.marketRuleIDs = "26"
        details.aggGroup = 1
        if let option = listing.instrument.option {
            details.underConId = configuration.universe.listings[option.underlying]?.conId ?? 0
            details.underSymbol = option.underlying
            details.underSecType = "STK"
            details.realExpirationDate = option.expiry
        }
        session.send(details)
        session.send(ContractDetailsEnd(requestID: request.requestID))
    }

    func subscribe(_ request: RequestMarketData, on session: SimulatorSession) {
        let requestID = request.requestID
        guard let listing = listing(for: request.contract) else {
            sendError(to: session, requestID, 200, "No security definition has been found for the request")
            return
        }
        if subscriptions.contains(where: { $0.sessionID == session.id && $0.requestID == requestID }) {
            sendError(to: session, requestID, 322, "Error processing request.-'bW' : cause - Duplicate ticker id")
            return
        }
        let symbol = listing.instrument.symbol
        let wantsDelayed = session.marketDataType >= 3
        var delayed = wantsDelayed
        if configuration.unentitledSymbols.contains(symbol) {
            if wantsDelayed {
                sendError(to: session, requestID, 10168,
                    "Requested market data is not subscribed. Delayed market data is not enabled.")
            } else {
                sendError(to: session, requestID, 354, "Requested market data is not subscribed.")
            }
            return
        }
        if configuration.delayedOnlySymbols.contains(symbol) {
            guard wantsDelayed else {
                sendError(to: session, requestID, 10089,
                    "Requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.")
                return
            }
            sendError(to: session, requestID, 10167,
                "Requested market data is not subscribed. Displaying delayed market data.")
        } else {
            // Live data wins over a delayed request when the account is entitled, as in TWS.
            delayed = false
        }
        if !request.snapshot {
            guard subscriptions.count < configuration.marketDataLines else {
                sendError(to: session, requestID, 101, "Max number of tickers has been reached")
                return
            }
        }
        let walk = walk(for: listing)
        session.send(TickRequestParameters(requestID: requestID, minTick: walk.minTick, bboExchange: "9c0001", snapshotPermissions: 3))
        session.send(MarketDataType(requestID: requestID, marketDataType: delayed ? 3 : 1))
        if ticksFlowing { sendFullQuote(walk, requestID: requestID, delayed: delayed, on: session) }
        if request.snapshot {
            session.send(TickSnapshotEnd(requestID: requestID))
        } else {
            subscriptions.append(Subscription(sessionID: session.id, requestID: requestID, symbol: symbol, delayed: delayed))
        }
    }

    func unsubscribe(_ requestID: Int, on session: SimulatorSession) {
        let before = subscriptions.count
        subscriptions.removeAll { $0.sessionID == session.id && $0.requestID == requestID }
        if subscriptions.count == before {
            sendError(to: session, requestID, 300, "Can't find EId with tickerId:\(requestID)")
        }
    }

    /// The first burst after reqMktData: the whole book and the session statistics.
    func sendFullQuote(_ walk: PriceWalk, requestID: Int, delayed: Bool, on session: SimulatorSession) {
        func id(_ live: Int) -> Int { delayed ? TickType.delayedID[live]! : live }
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.bid), price: walk.bid, size: walk.bidSize, attributes: 1))
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.ask), price: walk.ask, size: walk.askSize, attributes: 1))
        if walk.hasTrades {
            session.send(TickPrice(requestID: requestID, tickType: id(TickType.last), price: walk.last, size: walk.lastSize))
            session.send(TickSize(requestID: requestID, tickType: id(TickType.volume), size: walk.volume))
            session.send(TickString(requestID: requestID, tickType: id(TickType.lastTimestamp), value: String(walk.lastTradeTime)))
        }
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.high), price: walk.high, size: nil))
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.low), price: walk.low, size: nil))
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.close), price: walk.close, size: nil))
        session.send(TickPrice(requestID: requestID, tickType: id(TickType.open), price: walk.open, size: nil))
        counters.ticksSent += walk.hasTrades ? 9 : 6
    }

    /// One round of the tick clock: spend the round's share of the tick rate round-robin over subscriptions.
    func produceTicks(elapsed: Double) {
        guard ticksFlowing, !subscriptions.isEmpty else {
            tickCredit = 0
            return
        }
        // A stalled loop must not come back with a flood: pay out at most a tenth of a second at once.
        tickCredit = min(tickCredit + configuration.ticksPerSecond * elapsed, configuration.ticksPerSecond * 0.1)
        var touched: [Int: SimulatorSession] = [:]
        let time = now
        while tickCredit >= 1 {
            if tickCursor >= subscriptions.count { tickCursor = 0 }
            let subscription = subscriptions[tickCursor]
            tickCursor += 1
            guard let session = sessions[subscription.sessionID], var walk = walks[subscription.symbol] else { continue }
            let changes = walk.step(&generator, now: time)
            walks[subscription.symbol] = walk
            tickCredit -= Double(sendUpdate(changes, walk, subscription, on: session))
            touched[session.id] = session
        }
        for session in touched.values { session.flush() }
    }

    /// The ticks one step of the walk produces; returns how many messages went out.
    func sendUpdate(_ changes: PriceWalk.Changes, _ walk: PriceWalk, _ subscription: Subscription, on session: SimulatorSession) -> Int {
        let delayed = subscription.delayed
        func id(_ live: Int) -> Int { delayed ? TickType.delayedID[live]! : live }
        let requestID = subscription.requestID
        let bid = TickPrice(requestID: requestID, tickType: id(TickType.bid), price: walk.bid, size: walk.bidSize, attributes: 1)
        let ask = TickPrice(requestID: requestID, tickType: id(TickType.ask), price: walk.ask, size: walk.askSize, attributes: 1)
        var sent = 0
        if changes.contains(.askFirst) { session.send(ask) }
        if changes.contains(.bid) { session.send(bid); sent += 1 }
        if changes.contains(.ask) {
            if !changes.contains(.askFirst) { session.send(ask) }
            sent += 1
        }
        if changes.contains(.trade) {
            session.send(TickPrice(requestID: requestID, tickType: id(TickType.last), price: walk.last, size: walk.lastSize))
            session.send(TickSize(requestID: requestID, tickType: id(TickType.volume), size: walk.volume))
            session.send(TickString(requestID: requestID, tickType: id(TickType.lastTimestamp), value: String(walk.lastTradeTime)))
            sent += 3
        }
        counters.ticksSent += sent
        return sent
    }
}
