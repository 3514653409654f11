import Alerts
import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOPosix
import Store
import TickhubCore

/// What evaluating the price alerts costs per quote: N rules over M symbols, every quote of a seeded walk judged
/// against its symbol's rules, by the evaluator alone and through `AlertDesk.observe` (the lock, the clock, the
/// memory tracking) as the hub calls it for every quote it publishes.
struct AlertsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Alert evaluation per quote, in nanoseconds (median of the runs).")

    @Option(help: "Alert rules in force.") var rules = 10_000
    @Option(help: "Symbols they are spread over (each quote is of one of them).") var symbols = 500
    @Option(help: "Quotes per run.") var quotes = 1_000_000
    @Option(help: "Timed runs; the median is reported.") var runs = 5

    func run() async throws {
        let names = (0..<symbols).map { String(format: "S%04d", $0 + 1) }
        let ruleSet = Self.rules(count: rules, over: names)
        let walk = Self.walk(count: quotes, over: names)

        var evaluatorRuns: [Double] = []
        var firings = 0
        for _ in 0..<runs {
            var evaluator = AlertEvaluator()
            for rule in ruleSet { _ = evaluator.add(rule, now: Timestamp(microseconds: 0)) }
            var now = Timestamp(microseconds: 1_800_000_000_000_000)
            firings = 0
            let start = ContinuousClock.now
            for quote in walk {
                now.microseconds += 100
                firings += evaluator.evaluate(quote, now: now).count
            }
            evaluatorRuns.append(Self.nanoseconds(since: start) / Double(walk.count))
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickhub-bench-alerts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        // The rules stored once in a database of the run's own, as the hub keeps them, and loaded by each desk.
        let store = try PositionStore(path: directory.appendingPathComponent("alerts.sqlite").path)
        for rule in ruleSet {
            _ = try await store.insertAlert(AlertDraft(symbol: rule.symbol, condition: rule.condition.rawValue, level: rule.level,
                                                       cooldownSeconds: rule.cooldownSeconds))
        }
        var deskRuns: [Double] = []
        for _ in 0..<runs {
            let desk = AlertDesk(store: store, httpClient: client, publish: { _ in }, follow: { _ in })
            try await desk.start()
            let start = ContinuousClock.now
            for quote in walk { desk.observe(quote) }
            deskRuns.append(Self.nanoseconds(since: start) / Double(walk.count))
            await desk.stop()
        }
        try await client.shutdown()

        let result: [String: Any] = [
            "benchmark": "alert-evaluation", "rules": rules, "symbols": symbols, "rulesPerSymbol": Double(rules) / Double(symbols),
            "quotes": walk.count, "runs": runs, "firingsPerRun": firings,
            "evaluatorNsPerQuote": Self.rounded(median(evaluatorRuns)), "deskObserveNsPerQuote": Self.rounded(median(deskRuns)),
            "evaluatorAllRuns": evaluatorRuns.map(Self.rounded), "deskObserveAllRuns": deskRuns.map(Self.rounded),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// Every condition, levels spread around 100 so a walk near it crosses some of them now and then; an hour's
    /// cooldown, as a user would set, so firings stay rare.
    static func rules(count: Int, over names: [String]) -> [AlertRule] {
        var random = SeededGenerator(seed: 16)
        let conditions: [AlertCondition] = [.above, .below, .crosses, .changePercent]
        return (0..<count).map { index in
            let condition = conditions[index % conditions.count]
            let level = condition == .changePercent ? 1 + random.unit() * 4 : 95 + random.unit() * 10
            return AlertRule(id: "rule-\(index)", symbol: names[index % names.count], condition: condition, level: level,
                             cooldownSeconds: 3_600, createdAt: 0)
        }
    }

    /// A seeded walk per symbol around 100, the quotes interleaved over the symbols.
    static func walk(count: Int, over names: [String]) -> [Quote] {
        var random = SeededGenerator(seed: 42)
        var prices = [Double](repeating: 100, count: names.count)
        return (0..<count).map { index in
            let slot = Int(random.next() % UInt64(names.count))
            prices[slot] *= 1 + random.normal() * 0.0005
            var quote = Quote(symbol: names[slot], source: .ibkr, timestamp: 1_800_000_000_000 + Int64(index))
            quote.last = prices[slot]
            quote.bid = prices[slot] - 0.01
            quote.ask = prices[slot] + 0.01
            quote.close = 100
            return quote
        }
    }

    static func nanoseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    }

    static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
