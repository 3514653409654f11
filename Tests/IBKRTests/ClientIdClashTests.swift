import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// A second connection with a client id already in use: TWS answers 326 and hangs up; the provider says so.
@Suite("Client id clash", .timeLimit(.minutes(2)))
struct ClientIdClashTests {
    @Test func secondProviderWithTheSameClientIdExplainsTheClash() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl]) { first in
            try await first.events.awaitFreshQuotes(["AAPL"])
            try await first.withSecondProvider({ $0.clientId = 1 }) { second, events in
                let status = try await events.awaitConnection("reconnecting after 326") {
                    if case .reconnecting = $0.state { $0.lastError != nil } else { false }
                }
                let lastError = try #require(status.lastError)
                #expect(lastError.contains("326"), "\(lastError)")
                #expect(lastError.contains("already in use"), "\(lastError)")
                #expect(lastError.contains("IBKR_CLIENT_ID"), "says how to fix it: \(lastError)")
                #expect(await second.status().connections == 0)
                #expect(await second.status().state != .ready)
            }
            // The first connection is undisturbed.
            #expect(await first.provider.status().state == .ready)
            #expect(await first.provider.status().connections == 1)
            await first.events.skip()
            try await first.events.awaitFreshQuotes(["AAPL"])
        }
    }

    @Test func anotherClientIdConnectsAlongside() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl]) { first in
            try await first.events.awaitFreshQuotes(["AAPL"])
            try await first.withSecondProvider({ $0.clientId = 2 }) { second, events in
                try await events.awaitState(.ready)
                await second.subscribe([Instruments.msft])
                try await events.awaitFreshQuotes(["MSFT"])
                #expect(await second.status().lastError == nil)
            }
            #expect(try await first.simulator.status().connectionsAccepted == 2)
        }
    }
}
