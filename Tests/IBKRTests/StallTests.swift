import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// A TWS that keeps the socket open and sends nothing: the provider must not stay `ready` on a dead line.
@Suite("Stalled TWS", .timeLimit(.minutes(2)))
struct StallTests {
    static let symbols = [Instruments.aapl.symbol, Instruments.msft.symbol]

    @Test func aSilentConnectionIsProbedThenReplaced() async throws {
        try await withSimulatorAndProvider(provider: { c in
            c.heartbeatIdleSeconds = 1
            c.heartbeatTimeoutSeconds = 1
        }, subscribe: [Instruments.aapl, Instruments.msft]) { h in
            try await h.events.awaitFreshQuotes(Self.symbols)
            await h.events.skip()
            let stalled = ContinuousClock.now
            await h.simulator.inject(.stall(seconds: 60))
            // Closed as stalled, then a new connection: quotes marked stale on the way, fresh again after.
            let events = try await h.events.collect("reconnecting after the stall") {
                if case .reconnecting = $0.connectionState { true } else { false }
            }
            #expect(events.compactMap(\.quote).contains { $0.stale }, "quotes turn stale when the link is replaced")
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(Self.symbols)
            reportRecovery("stall", ContinuousClock.now - stalled, symbols: Self.symbols.count)
            let status = await h.provider.status()
            #expect(status.connections == 2)
            #expect(status.lastError?.contains("stalled") == true, "\(status.lastError ?? "nil")")
        }
    }

    @Test func aQuietButLiveConnectionIsKept() async throws {
        try await withSimulatorAndProvider(simulator: { s in
            s.ticksPerSecond = 0
            // No account: no per-second P&L or periodic account updates, so nothing but heartbeats breaks the silence.
            s.portfolio = SimulatedPortfolio(accounts: [])
        }, provider: { c in
            c.heartbeatIdleSeconds = 1
            c.heartbeatTimeoutSeconds = 1
        }) { h in
            try await h.events.awaitState(.ready)
            // Three answered heartbeats on the first connection: TWS was silent, was asked, answered, and was kept.
            try await poll("three heartbeats answered", timeout: .seconds(30)) {
                try await h.simulator.status().currentTimeRequests >= 3
            }
            let status = await h.provider.status()
            #expect(status.state == .ready)
            #expect(status.connections == 1)
        }
    }
}
