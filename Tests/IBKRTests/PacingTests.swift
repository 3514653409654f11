import IBKR
import TWSSimulator
import TickhubCore
import Testing

/// 500 symbols at start: qualification, market data and account requests all go out within TWS's 50/s.
@Suite("Pacing", .timeLimit(.minutes(2)))
struct PacingTests {
    static func synthetic(_ i: Int) -> String { "S" + String(repeating: "0", count: max(0, 4 - String(i).count)) + String(i) }

    @Test func fiveHundredSymbolsAtStartStayWithinThePacingLimit() async throws {
        let names = (1...500).map(Self.synthetic)
        try await withSimulatorAndProvider(
            simulator: {
                $0.universe.addSynthetic(count: 500)
                $0.pacingLimit = 50
                $0.marketDataLines = 100
            },
            provider: { $0.lineBudget = 100 },
            subscribe: names.map { .stock($0) }
        ) { h in
            // The harness subscribed right after starting the provider: timing from here is close enough.
            let started = ContinuousClock.now
            // The first hundred get lines, in subscription order.
            let streaming = Array(names.prefix(100))
            try await h.events.awaitFreshQuotes(streaming, timeout: .seconds(40))
            let elapsed = ContinuousClock.now - started
            print("pacing: 500 subscribed, 100 streaming after \(String(format: "%.2f", elapsed.seconds)) s")

            var statuses: [IBKRSymbolStatus?] = []
            for name in names { statuses.append(await h.provider.symbolStatus(name)) }
            #expect(statuses.prefix(100).allSatisfy { $0 == .streaming })
            #expect(statuses.dropFirst(100).allSatisfy { $0 == .overBudget })
            #expect(statuses.filter { $0 == .streaming }.count == 100)
            #expect(statuses.filter { $0 == .overBudget }.count == 400)

            // Positions and their P&L were requested in the same paced queue.
            try await h.events.awaitEvent("positions with P&L") {
                if case let .positions(p) = $0 { p.count == 5 && p.allSatisfy { $0.dailyPnL != nil } } else { false }
            }

            let simulator = try await h.simulator.status()
            #expect(simulator.subscriptions == 100)
            // 100 qualifications + 100 reqMktData + account requests: all accepted.
            #expect(simulator.requestsReceived >= 200)
            #expect(simulator.malformedRequests == 0)
            // Only the four bootstrap farm notices: no error 100 ("max rate exceeded"), no 101.
            #expect(simulator.errorsSent == 4, "the simulator sent \(simulator.errorsSent - 4) errors beyond the bootstrap")
            let status = await h.provider.status()
            #expect(status.lastError == nil, "\(status.lastError ?? "")")
            #expect(status.linesInUse == 100)
            #expect(status.state == .ready)
            // At 45/s, 200+ requests cannot have gone out in much under 4 s.
            #expect(elapsed > .seconds(4), "too fast for paced requests: \(elapsed)")
        }
    }
}
