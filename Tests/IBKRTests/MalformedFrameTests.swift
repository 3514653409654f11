import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// Bytes from TWS the provider cannot decode: it resets the connection and recovers, and says why.
@Suite("Malformed frames", .timeLimit(.minutes(2)))
struct MalformedFrameTests {
    @Test(arguments: [Fault.MalformedFrame.badField, .hugeLength, .truncated])
    func badDataResetsTheConnectionAndRecovers(kind: Fault.MalformedFrame) async throws {
        let instruments = [Instruments.aapl, Instruments.eurusd, Instruments.btc]
        let symbols = instruments.map(\.symbol)
        try await withSimulatorAndProvider(subscribe: instruments) { h in
            try await h.events.awaitFreshQuotes(symbols)
            #expect(await h.provider.status().lastError == nil)

            await h.events.skip()
            let injected = ContinuousClock.now
            await h.simulator.inject(.malformedFrame(kind))
            let reconnecting = try await h.events.awaitConnection("reconnecting after bad data") {
                if case .reconnecting = $0.state { true } else { false }
            }
            #expect(reconnecting.lastError?.contains("bad data from TWS") == true, "\(reconnecting.lastError ?? "nil")")
            try await h.events.awaitState(.ready)
            try await h.events.awaitFreshQuotes(symbols)
            reportRecovery("malformed frame (\(kind.rawValue))", ContinuousClock.now - injected, symbols: symbols.count)

            let status = await h.provider.status()
            #expect(status.state == .ready)
            #expect(status.connections == 2)
            let lastError = try #require(status.lastError)
            #expect(lastError.contains("bad data from TWS"))
            print("lastError after \(kind.rawValue): \(lastError)")
            let simulator = try await h.simulator.status()
            #expect(simulator.connectionsAccepted == 2)
            #expect(simulator.connections == 1)
            #expect(simulator.subscriptions == symbols.count)
        }
    }
}
