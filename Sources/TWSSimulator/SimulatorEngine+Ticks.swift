import Foundation
import TWSProtocol
import TickhubCore

extension SimulatorEngine {
    /// One round of the tick clock: spend the round's share of the tick rate round-robin over the walks, each
    /// step's messages going to every subscriber of the symbol (and of its options, repriced with it).
    func produceTicks(elapsed: Double) {
        guard ticksFlowing, !subscriptions.isEmpty || !history.live.isEmpty || !clientPortalSymbols.isEmpty
                || !tastyTradeSymbols.isEmpty
        else {
            tickCredit = 0
            return
        }
        if !rotationIsCurrent { rebuildRotation() }
        // A stalled loop must not come back with a flood: pay out at most a tenth of a second at once.
        tickCredit = min(tickCredit + configuration.ticksPerSecond * elapsed, configuration.ticksPerSecond * 0.1)
        var touched: [Int: SimulatorSession] = [:]
        let time = simulatedTime
        // Steps that sent nothing in a row: a whole rotation of them means every market here is shut.
        var quiet = 0
        while tickCredit >= 1, quiet < rotation.count {
            if tickCursor >= rotation.count { tickCursor = 0 }
            let symbol = rotation[tickCursor]
            tickCursor += 1
            guard var walk = walks[symbol] else {
                quiet += 1
                continue
            }
            let changes = walk.step(&generator, at: time)
            walks[symbol] = walk
            if !changes.isEmpty { recordMinute(of: walk, at: time) }
            var sent = publish(changes, of: walk, to: symbol, touching: &touched)
            for option in optionsByUnderlying[symbol] ?? [] {
                guard var optionWalk = walks[option] else { continue }
                let optionChanges = optionWalk.step(&generator, at: time, underlying: walk.fair)
                walks[option] = optionWalk
                if !optionChanges.isEmpty { recordMinute(of: optionWalk, at: time) }
                sent += publish(optionChanges, of: optionWalk, to: option, touching: &touched)
            }
            quiet = sent == 0 ? quiet + 1 : 0
            tickCredit -= Double(max(1, sent))
        }
        if quiet >= rotation.count { tickCredit = 0 }
        for session in touched.values { session.flush() }
    }

    /// Sends a step's changes to every subscription of `symbol`; returns how many messages went out.
    func publish(
        _ changes: PriceWalk.Changes, of walk: PriceWalk, to symbol: String, touching touched: inout [Int: SimulatorSession]
    ) -> Int {
        guard !changes.isEmpty else { return 0 }
        var sent = 0
        for index in subscribersBySymbol[symbol] ?? [] {
            let subscription = subscriptions[index]
            guard let session = sessions[subscription.sessionID] else { continue }
            if subscription.frozen {
                // The market has opened under a frozen request: from now on it is live (or delayed) data.
                session.send(MarketDataType(requestID: subscription.requestID, marketDataType: subscription.delayed ? 3 : 1))
                subscriptions[index].frozen = false
                sent += 1
            }
            var out = TickWriter(walk: walk, requestID: subscription.requestID, delayed: subscription.delayed, session: session)
            out.update(changes)
            sent += out.sent
            touched[session.id] = session
        }
        counters.ticksSent += sent
        return sent
    }

    /// The walks to step, once each per rotation, and who hears of each.
    func rebuildRotation() {
        var order: [String] = []
        var listed: Set<String> = []
        var bySymbol: [String: [Int]] = [:]
        var options: [String: [String]] = [:]
        for (index, subscription) in subscriptions.enumerated() {
            bySymbol[subscription.symbol, default: []].append(index)
        }
        // The Client Portal's and TastyTrade's symbols after the TWS subscriptions', in a stable order.
        for symbol in subscriptions.map(\.symbol) + clientPortalSymbols.union(tastyTradeSymbols).sorted() {
            var stepped = symbol
            if let underlying = walks[symbol]?.instrument.option?.underlying, walks[underlying] != nil {
                stepped = underlying
                if !(options[underlying]?.contains(symbol) ?? false) { options[underlying, default: []].append(symbol) }
            }
            if listed.insert(stepped).inserted { order.append(stepped) }
        }
        // A keepUpToDate history request keeps its walk moving, subscribed or not.
        for symbol in history.liveSymbols.sorted() where walks[symbol] != nil && listed.insert(symbol).inserted {
            order.append(symbol)
        }
        rotation = order
        subscribersBySymbol = bySymbol
        optionsByUnderlying = options
        rotationIsCurrent = true
        if tickCursor >= rotation.count { tickCursor = 0 }
    }
}
