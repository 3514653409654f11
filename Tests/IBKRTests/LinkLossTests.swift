import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// TWS loses its link to IBKR (1100) and gets it back with data lost (1101) or maintained (1102).
@Suite("Link loss", .timeLimit(.minutes(2)))
struct LinkLossTests {
    static let instruments = [Instruments.aapl, Instruments.msft, Instruments.eurusd, Instruments.btc]
    static let symbols = instruments.map(\.symbol)

    /// Quotes for every symbol, and the account requests of the connection all answered (the per-position
    /// P&L requests go out last), so the simulator's request count is settled.
    static func streamingAndSettled(_ h: Harness) async throws {
        try await h.events.awaitEvent("positions with P&L") {
            if case let .positions(p) = $0 { p.count == 5 && p.allSatisfy { $0.dailyPnL != nil } } else { false }
        }
        await h.events.skip()
        try await h.events.awaitFreshQuotes(symbols)
    }

    /// 1100: degraded, quotes stale; the socket stays up.
    static func loseLink(_ h: Harness) async throws {
        await h.events.skip()
        await h.simulator.inject(.connectivityLost)
        let down = try await h.events.collect("degraded(linkLost)") { $0.connectionState == .degraded([.linkLost]) }
        #expect(Set(down.compactMap(\.quote).filter(\.stale).map(\.symbol)) == Set(symbols))
        for symbol in symbols { #expect(await h.provider.quote(symbol)?.stale == true, "\(symbol)") }
        let status = await h.provider.status()
        #expect(status.state == .degraded([.linkLost]))
        #expect(status.connections == 1)
    }

    @Test func dataLostResubscribesAndQuotesResume() async throws {
        try await withSimulatorAndProvider(subscribe: Self.instruments) { h in
            try await Self.streamingAndSettled(h)
            try await Self.loseLink(h)
            let before = try await h.simulator.status()

            let restored = ContinuousClock.now
            await h.simulator.inject(.connectivityRestored(dataLost: true))
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(Self.symbols)
            reportRecovery("1100 then 1101", ContinuousClock.now - restored, symbols: Self.symbols.count)

            let simulator = try await h.simulator.status()
            // TWS forgot every subscription at 1101; the provider asked again for each, once.
            #expect(simulator.subscriptions == Self.symbols.count)
            #expect(simulator.connectionsAccepted == 1)
            // Nothing refused: four bootstrap notices, 1100 and 1101.
            #expect(simulator.errorsSent == 6)
            // Everything TWS forgot is asked for again: 4 reqMktData; positions, the account summary (the old one
            // cancelled first), account updates and account P&L; and a reqPnLSingle for each of the 5 positions once
            // positions are in. (The count once read 13: it left out the cancel, and passed while the last
            // reqPnLSingle was still on its way.)
            let expected = before.requestsReceived + Self.symbols.count + 5 + 5
            try await poll("every subscription requested again after 1101") {
                try await h.simulator.status().requestsReceived >= expected
            }
            let after = try await h.simulator.status()
            #expect(after.requestsReceived == expected, "before \(before), after \(after)")
            let status = await h.provider.status()
            #expect(status.state == .ready)
            #expect(status.connections == 1)
        }
    }

    /// Every 1101 re-requests account data too; TWS must never refuse any of it, however many times it happens.
    @Test func repeatedDataLostNeverGetsARequestRefused() async throws {
        try await withSimulatorAndProvider(subscribe: Self.instruments) { h in
            try await h.events.awaitFreshQuotes(Self.symbols)
            for _ in 1...3 {
                try await Self.loseLink(h)
                await h.simulator.inject(.connectivityRestored(dataLost: true))
                try await h.events.awaitState(.ready)
                try await h.events.awaitFreshQuotes(Self.symbols)
                // Account P&L comes back too (its subscription was lost with the rest).
                try await h.events.awaitEvent("account P&L after 1101") {
                    if case .accountPnL = $0 { true } else { false }
                }
            }
            let simulator = try await h.simulator.status()
            #expect(simulator.subscriptions == Self.symbols.count)
            // Four bootstrap notices and three pairs of 1100 and 1101: no 322, no 300.
            #expect(simulator.errorsSent == 4 + 3 * 2)
        }
    }

    @Test func dataMaintainedKeepsSubscriptions() async throws {
        try await withSimulatorAndProvider(subscribe: Self.instruments) { h in
            try await Self.streamingAndSettled(h)
            let before = try await h.simulator.status()
            #expect(before.subscriptions == Self.symbols.count)

            // Watch the simulator's subscription count through the whole episode.
            let watcher = Task {
                var lowest = Int.max
                while !Task.isCancelled {
                    guard let status = try? await h.simulator.status() else { break }
                    lowest = min(lowest, status.subscriptions)
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return lowest
            }

            try await Self.loseLink(h)
            let restored = ContinuousClock.now
            await h.simulator.inject(.connectivityRestored(dataLost: false))
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(Self.symbols)
            reportRecovery("1100 then 1102", ContinuousClock.now - restored, symbols: Self.symbols.count)

            // Past the resumption check (resumeCheckSeconds = 1): every stream ticked, so nothing is re-requested.
            try await h.events.expectNoEvent("a re-request after 1102", for: .milliseconds(1500)) {
                if case .symbolStatus = $0 { true } else { false }
            }
            watcher.cancel()
            let lowest = await watcher.value
            #expect(lowest == Self.symbols.count, "subscriptions dropped to \(lowest)")
            let after = try await h.simulator.status()
            #expect(after.subscriptions == Self.symbols.count)
            // The provider sent TWS nothing at all: the same subscriptions carried on.
            #expect(after.requestsReceived == before.requestsReceived)
            #expect(await h.provider.status().state == .ready)
        }
    }

    /// After 1102 a stream that stays silent is re-requested. The simulator keeps ticks off while its farm is down,
    /// so 2103 before the 1100/1102 pair leaves every stream silent past the check.
    @Test func streamsSilentAfterDataMaintainedAreRequestedAgain() async throws {
        try await withSimulatorAndProvider(subscribe: Self.instruments) { h in
            try await Self.streamingAndSettled(h)
            await h.simulator.inject(.farmBroken)
            try await h.events.awaitState(.degraded([.farmBroken]))
            await h.simulator.inject(.connectivityLost)
            try await h.events.awaitState(.degraded([.farmBroken, .linkLost]))
            let before = try await h.simulator.status()

            await h.events.skip()
            await h.simulator.inject(.connectivityRestored(dataLost: false))
            try await h.events.awaitState(.degraded([.farmBroken]))
            // The check fires after resumeCheckSeconds: every silent stream gets a fresh request.
            for symbol in Self.symbols {
                try await h.events.awaitEvent("\(symbol) requested again", timeout: .seconds(5)) {
                    if case .symbolStatus(symbol, .streaming) = $0 { true } else { false }
                }
            }
            let expected = before.requestsReceived + 2 * Self.symbols.count
            try await poll("cancel and request for each symbol to reach the simulator") {
                try await h.simulator.status().requestsReceived >= expected
            }
            let resubscribed = try await h.simulator.status()
            #expect(resubscribed.requestsReceived == expected)
            #expect(resubscribed.subscriptions == Self.symbols.count)

            await h.simulator.inject(.farmRestored)
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(Self.symbols)
            let after = try await h.simulator.status()
            #expect(after.subscriptions == Self.symbols.count)
            // The cancels named live requests (no 300) and the new ids were new (no 322): 2104 is the only new error.
            #expect(after.errorsSent == before.errorsSent + 2)
        }
    }
}
