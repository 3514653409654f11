import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// The connect and disconnect commands.
@Suite("Connect and disconnect", .timeLimit(.minutes(2)))
struct ConnectCommandTests {
    @Test func disconnectStaysDownUntilConnect() async throws {
        let instruments = [Instruments.aapl, Instruments.eurusd]
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitFreshQuotes(symbols)

            await h.events.skip()
            await h.provider.disconnect()
            let down = try await h.events.collect("disconnected") { $0.connectionState == .disconnected }
            #expect(Set(down.compactMap(\.quote).filter(\.stale).map(\.symbol)) == Set(symbols))
            for symbol in symbols { #expect(await h.provider.quote(symbol)?.stale == true, "\(symbol)") }
            try await poll("the simulator to see the connection close") {
                try await h.simulator.status().connections == 0
            }

            // It stays down: with a 0.1 s backoff, a reconnect would have happened many times over.
            let accepted = try await h.simulator.status().connectionsAccepted
            try await h.events.expectNoEvent("a connection event after disconnect", for: .seconds(1)) {
                if case .connection = $0 { true } else { false }
            }
            #expect(await h.provider.status().state == .disconnected)
            #expect(try await h.simulator.status().connectionsAccepted == accepted)
            #expect(try await h.simulator.status().connections == 0)
            for symbol in symbols { #expect(await h.provider.quote(symbol)?.stale == true, "\(symbol)") }

            await h.provider.connect()
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(symbols)
            let status = await h.provider.status()
            #expect(status.connections == 2)
            #expect(status.state == .ready)
            let simulator = try await h.simulator.status()
            #expect(simulator.subscriptions == symbols.count)
            #expect(simulator.connections == 1)
        }
    }

    @Test func withoutAutoConnectItWaitsForConnect() async throws {
        try await withSimulatorAndProvider(provider: { $0.autoConnect = false }, subscribe: [Instruments.aapl]) { h in
            try await h.events.expectNoEvent("a connection before connect()", for: .milliseconds(500)) {
                if case .connection = $0 { true } else { false }
            }
            #expect(await h.provider.status().state == .disconnected)
            #expect(await h.provider.symbolStatus("AAPL") == .pending)
            #expect(try await h.simulator.status().connectionsAccepted == 0)
            await h.provider.connect()
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(["AAPL"])
        }
    }
}
