import IBKR
import TWSSimulator
import TickhubCore
import Testing

@Suite("IBKR provider smoke")
struct SmokeTests {
    @Test func quotesFlowFromTheSimulator() async throws {
        var config = SimulatorConfiguration()
        config.port = 0
        config.ticksPerSecond = 500
        let simulator = TWSSimulator(configuration: config)
        let port = try await simulator.start()
        var ibkr = IBKRConfiguration()
        ibkr.port = port
        let provider = IBKRProvider(configuration: ibkr)
        let events = await provider.events()
        await provider.start()
        await provider.subscribe([.stock("AAPL"), .forex(base: "EUR", quote: "USD"), .crypto("BTC"),
                                  try SymbolGrammar.parse("SPY 271217C00600000")])
        var seen: [String: Quote] = [:]
        var positions: [IBKRPosition] = []
        for await event in events {
            switch event {
            case let .quote(q) where q.bid != nil && q.ask != nil: seen[q.symbol] = q
            case let .positions(p): positions = p
            default: break
            }
            if seen.count == 4 && !positions.isEmpty { break }
        }
        #expect(seen["AAPL"]?.last != nil)
        #expect(positions.count == 5)
        let status = await provider.status()
        #expect(status.state == .ready)
        #expect(status.accounts == ["DU1234567"])
        await provider.stop()
        await simulator.stop()
    }
}
