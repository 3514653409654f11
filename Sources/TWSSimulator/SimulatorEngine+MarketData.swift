import Foundation
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

    /// The walk of a listing, made on first use; an option's makes its underlying's first.
    func walk(for listing: SymbolUniverse.Listing) -> PriceWalk {
        if let walk = walks[listing.instrument.symbol] { return walk }
        var underlying: PriceWalk?
        if let terms = listing.instrument.option, let listed = configuration.universe.listings[terms.underlying] {
            underlying = walk(for: listed)
        }
        let walk = PriceWalk(
            listing: listing,
            dailyVolatility: listing.dailyVolatility ?? configuration.volatility.of(listing.instrument.securityType),
            rate: configuration.riskFreeRate, underlying: underlying, generator: &generator, at: simulatedTime)
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
        // Frozen data is what a shut market gives: its last values, labelled type 2 (or 4 when delayed).
        let frozen = [2, 4].contains(session.marketDataType)
            && !MarketHours.isOpen(listing.instrument, at: Date(timeIntervalSince1970: simulatedTime))
        session.send(TickRequestParameters(requestID: requestID, minTick: walk.minTick, bboExchange: "9c0001", snapshotPermissions: 3))
        session.send(MarketDataType(requestID: requestID, marketDataType: (delayed ? 3 : 1) + (frozen ? 1 : 0)))
        let openInterest = request.genericTickList.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "101" }
        if ticksFlowing {
            sendFullQuote(walk, requestID: requestID, delayed: delayed, openInterest: openInterest, on: session)
        }
        if request.snapshot {
            session.send(TickSnapshotEnd(requestID: requestID))
        } else {
            subscriptions.append(Subscription(
                sessionID: session.id, requestID: requestID, symbol: symbol, delayed: delayed, frozen: frozen))
        }
    }

    func unsubscribe(_ requestID: Int, on session: SimulatorSession) {
        let before = subscriptions.count
        subscriptions.removeAll { $0.sessionID == session.id && $0.requestID == requestID }
        if subscriptions.count == before {
            sendError(to: session, requestID, 300, "Can't find EId with tickerId:\(requestID)")
        }
    }

    /// The first burst after reqMktData: the whole book and the session statistics (an option's greeks and, with
    /// generic tick 101, its open interest). A shut market's too: TWS sends the last book once, then nothing until
    /// the session opens.
    func sendFullQuote(_ walk: PriceWalk, requestID: Int, delayed: Bool, openInterest: Bool, on session: SimulatorSession) {
        var out = TickWriter(walk: walk, requestID: requestID, delayed: delayed, session: session)
        out.bid()
        out.ask()
        if walk.hasTrades {
            out.last()
            out.volume()
        }
        out.statistics()
        if walk.valuation != nil {
            for tickType in [TickType.bidOptionComputation, TickType.askOptionComputation, TickType.modelOptionComputation] {
                out.optionComputation(tickType)
            }
            if openInterest { out.openInterest() }
        }
        counters.ticksSent += out.sent
    }
}
