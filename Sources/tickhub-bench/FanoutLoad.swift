import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// Holds thousands of WebSocket clients against a hub and measures what they receive.
///
/// Latency is receipt time minus the hub's `t` (when it received the update), both from this machine's clock,
/// so it covers the hub's fan-out and the kernel, not the feed. See bench/README.md for the method.
struct FanoutLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout", abstract: "WebSocket fan-out load: N clients × K symbols; delivered updates/s and latency.")

    @Option(help: "Hub address.") var host = "127.0.0.1"
    @Option(help: "Hub port.") var port: Int
    @Option(help: "WebSocket path.") var path = "/stream"
    @Option(help: "Clients to connect.") var clients = 1_000
    @Option(help: "Comma-separated symbol universe; or use --synthetic.") var symbols = ""
    @Option(help: "Use S0001…S<n> as the universe (tickhub-sim --synthetic).") var synthetic = 0
    @Option(help: "Symbols per client.") var perClient = 20
    @Option(help: "How clients pick symbols: uniform or zipf.") var pattern = "zipf"
    @Option(help: "Share of clients that stop reading after subscribing.") var slowFraction = 0.0
    @Option(help: "New connections per second.") var ramp = 2_000.0
    @Option(help: "Seconds measured.") var duration = 10.0
    @Option(help: "Seconds after the last connection before measuring.") var warmup = 2.0
    @Option(help: "Client event-loop threads.") var threads = 1
    @Option(help: "The hub's pid, to read its CPU and memory from /proc.") var hubPid: Int?
    @Option(help: "Random seed for symbol choice.") var seed: UInt64 = 7

    func run() async throws {
        let universe = synthetic > 0
            ? (1...synthetic).map { "S" + String(repeating: "0", count: max(0, 4 - String($0).count)) + String($0) }
            : symbols.split(separator: ",").map(String.init)
        guard !universe.isEmpty else { throw ValidationError("give --symbols or --synthetic") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let loops = (0..<threads).map { _ in group.next() }
        let tallies = loops.map { _ in LoadTally() }
        var chooser = SymbolChooser(universe: universe, zipf: pattern == "zipf", seed: seed)

        let hubBefore = hubPid.flatMap { processCPUSeconds(pid: String($0)) }
        let benchBefore = processCPUSeconds()
        let rssBefore = hubPid.flatMap { residentKiB(pid: $0) }
        let connectStart = ContinuousClock.now
        var channels: [Channel] = []
        var futures: [EventLoopFuture<Channel>] = []
        let slowCount = Int(Double(clients) * slowFraction)
        for i in 0..<clients {
            let picks = chooser.pick(min(perClient, universe.count))
            let message = #"{"op":"subscribe","symbols":["# + picks.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            let index = i % loops.count
            futures.append(LoadClient.connect(
                host: host, port: port, path: path, loop: loops[index], subscribe: message, tally: tallies[index],
                slow: i < slowCount))
            // Pace the ramp: a burst of thousands of handshakes would measure the listen backlog, not the hub.
            let due = connectStart + .milliseconds(Int64(Double(i + 1) / ramp * 1000))
            if ContinuousClock.now < due { try await Task.sleep(until: due) }
        }
        var failed = 0
        for future in futures {
            do { channels.append(try await future.get()) } catch { failed += 1 }
        }
        let connectSeconds = (ContinuousClock.now - connectStart) / .seconds(1)
        let rssConnected = hubPid.flatMap { residentKiB(pid: $0) }

        try await Task.sleep(for: .seconds(warmup))
        let counts0 = try await snapshot(loops, tallies, recording: true)
        let start = ContinuousClock.now
        let hubCPU0 = hubPid.flatMap { processCPUSeconds(pid: String($0)) }
        let benchCPU0 = processCPUSeconds()
        try await Task.sleep(for: .seconds(duration))
        let counts1 = try await snapshot(loops, tallies, recording: false)
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let hubCPU1 = hubPid.flatMap { processCPUSeconds(pid: String($0)) }
        let benchCPU1 = processCPUSeconds()
        let rssEnd = hubPid.flatMap { residentKiB(pid: $0) }

        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for (loop, tally) in zip(loops, tallies) {
            let samples = try await loop.submit { tally.latencies }.get()
            for sample in samples { histogram.record(UInt64(sample)) }
        }
        for channel in channels { channel.close(promise: nil) }
        try? await group.shutdownGracefully()

        func ms(_ p: Double) -> Double { (Double(histogram.valueAtPercentile(p)) / 10).rounded() / 100 }
        var report: [String: Any] = [
            "benchmark": "fanout", "clients": clients, "connected": channels.count, "failed": failed,
            "slowClients": slowCount, "perClient": perClient, "universe": universe.count, "pattern": pattern,
            "seconds": (elapsed * 100).rounded() / 100,
            "updatesPerSecond": Int(Double(counts1.updates - counts0.updates) / elapsed),
            "framesPerSecond": Int(Double(counts1.frames - counts0.frames) / elapsed),
            "acceptedPerSecond": Int(Double(channels.count) / max(connectSeconds, 0.001)),
            "latencyMs": ["p50": ms(50), "p90": ms(90), "p99": ms(99), "p99.9": ms(99.9),
                          "max": (Double(histogram.max) / 10).rounded() / 100, "samples": Int(histogram.totalCount)],
            "benchCPUPercent": percent(benchCPU0, benchCPU1, elapsed) ?? 0,
            "benchCPUConnectSeconds": (benchBefore.flatMap { b in processCPUSeconds().map { $0 - b } }) ?? 0,
        ]
        if let hubCPU = percent(hubCPU0, hubCPU1, elapsed) { report["hubCPUPercent"] = hubCPU }
        if let rssBefore, let rssConnected {
            report["hubRSSKiB"] = ["before": rssBefore, "connected": rssConnected, "end": rssEnd ?? 0]
            report["hubRSSPerConnectionBytes"] = channels.isEmpty ? 0 : (rssConnected - rssBefore) * 1024 / channels.count
        }
        _ = hubBefore
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
    }

    struct Counts { var updates = 0, frames = 0 }

    func snapshot(_ loops: [EventLoop], _ tallies: [LoadTally], recording: Bool) async throws -> Counts {
        var counts = Counts()
        for (loop, tally) in zip(loops, tallies) {
            let (u, f) = try await loop.submit {
                tally.recording = recording
                return (tally.updates, tally.frames)
            }.get()
            counts.updates += u
            counts.frames += f
        }
        return counts
    }

    func percent(_ a: Double?, _ b: Double?, _ seconds: Double) -> Double? {
        guard let a, let b else { return nil }
        return ((b - a) / seconds * 1000).rounded() / 10
    }
}

/// Picks a client's symbols: uniformly, or Zipf-distributed so a few symbols are in most watchlists.
struct SymbolChooser {
    let universe: [String]
    let cumulative: [Double]
    var state: UInt64

    init(universe: [String], zipf: Bool, seed: UInt64) {
        self.universe = universe
        var total = 0.0
        cumulative = universe.indices.map { i in
            total += zipf ? 1 / Double(i + 1) : 1
            return total
        }
        state = seed
    }

    mutating func unit() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1.0p-53
    }

    mutating func pick(_ count: Int) -> [String] {
        var chosen = Set<Int>()
        var attempts = 0
        while chosen.count < count && attempts < count * 50 {
            let target = unit() * cumulative[cumulative.count - 1]
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] < target { low = mid + 1 } else { high = mid }
            }
            chosen.insert(low)
            attempts += 1
        }
        return chosen.sorted().map { universe[$0] }
    }
}

func residentKiB(pid: Int) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}
