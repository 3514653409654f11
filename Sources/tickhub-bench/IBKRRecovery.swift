import ArgumentParser
import Foundation
import IBKR
import TWSSimulator
import TickhubCore

/// How long the IBKR provider takes to serve fresh quotes again after each kind of TWS fault.
///
/// For every fault: inject it into a simulator, then time until every subscribed symbol has a quote that is
/// not stale and was received after the fault ended (and, where the socket died, on a new connection).
struct IBKRRecovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ibkr-recovery", abstract: "Recovery time of the IBKR provider after each TWS fault (median of runs).")

    @Option(help: "Runs per fault; the median is reported.") var runs = 5
    @Option(help: "Seconds the simulator refuses connections in the refusal scenario.") var refuseSeconds = 20.0
    @Option(help: "Give up on one recovery after this many seconds.") var timeout = 60.0
    @Option(help: "Comma-separated faults: drop,link-1101,link-1102,farm,malformed,refuse.")
    var faults = "drop,link-1101,link-1102,farm,malformed,refuse"

    static let symbols: [Instrument] = [.stock("AAPL"), .stock("MSFT"), .forex(base: "EUR", quote: "USD"), .crypto("BTC")]

    func run() async throws {
        var config = SimulatorConfiguration()
        config.port = 0
        config.ticksPerSecond = 2_000
        // Inside a US session whatever day the bench runs on: outside one, the stocks would not move.
        config.clock = TradingCalendar.demoStart(now: Date())
        let simulator = GatewaySimulator(configuration: config)
        let port = try await simulator.start()
        var ibkr = IBKRConfiguration()
        ibkr.port = port
        let provider = IBKRProvider(configuration: ibkr)
        await provider.start()
        await provider.subscribe(Self.symbols)
        _ = try await waitFresh(provider, after: 0, newConnectionAfter: nil)

        var results: [[String: Any]] = []
        for fault in faults.split(separator: ",").map(String.init) {
            var times: [Double] = []
            for _ in 0..<runs {
                let before = await provider.status().connections
                let (t0, needsNewConnection) = try await inject(fault, into: simulator)
                let seconds = try await waitFresh(provider, after: t0, newConnectionAfter: needsNewConnection ? before : nil)
                times.append(seconds)
            }
            results.append(["fault": fault, "medianSeconds": (median(times) * 1000).rounded() / 1000,
                            "runs": times.map { ($0 * 1000).rounded() / 1000 }])
        }
        await provider.stop()
        await simulator.stop()
        let report: [String: Any] = ["benchmark": "ibkr-recovery", "symbols": Self.symbols.map(\.symbol),
                                     "reconnectInitialSeconds": ibkr.reconnectInitialSeconds,
                                     "reconnectCapSeconds": ibkr.reconnectCapSeconds, "faults": results]
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Injects a fault; returns when the fault ended (epoch ms) and whether recovery needs a new connection.
    func inject(_ fault: String, into simulator: GatewaySimulator) async throws -> (Int64, Bool) {
        switch fault {
        case "drop":
            await simulator.inject(.dropConnections)
            return (nowMillis(), true)
        case "link-1101", "link-1102":
            await simulator.inject(.connectivityLost)
            try await Task.sleep(for: .milliseconds(300))
            let t0 = nowMillis()
            await simulator.inject(.connectivityRestored(dataLost: fault == "link-1101"))
            return (t0, false)
        case "farm":
            await simulator.inject(.farmBroken)
            try await Task.sleep(for: .milliseconds(300))
            let t0 = nowMillis()
            await simulator.inject(.farmRestored)
            return (t0, false)
        case "malformed":
            await simulator.inject(.malformedFrame(.badField))
            return (nowMillis(), true)
        case "refuse":
            await simulator.inject(.refuseConnections(seconds: refuseSeconds))
            try await Task.sleep(for: .seconds(refuseSeconds))
            return (nowMillis(), true)
        default:
            throw ValidationError("unknown fault \(fault)")
        }
    }

    func waitFresh(_ provider: IBKRProvider, after t0: Int64, newConnectionAfter connections: Int?) async throws -> Double {
        let start = ContinuousClock.now
        while (ContinuousClock.now - start) < .seconds(timeout) {
            var fresh = true
            if let connections, await provider.status().connections <= connections { fresh = false }
            for symbol in Self.symbols where fresh {
                guard let quote = await provider.quote(symbol.symbol), !quote.stale, quote.timestamp > t0 else {
                    fresh = false
                    break
                }
            }
            if fresh { return Double(nowMillis() - t0) / 1000 }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw ValidationError("no recovery within \(timeout) s")
    }

    func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
