import ArgumentParser
import Foundation
import NIOCore

/// Holds thousands of WebSocket clients against a server (Tickhub or a peer) and measures what they receive.
///
/// The feed is either whatever the server already has (`--feed none`: Tickhub fed by tickhub-sim, latency from
/// the hub's `t`) or the bench's own publisher (`--feed publisher`: the same updates for any server, latency from
/// the publisher's `ts`). Both stamps and the receipt time come from this machine's clock. See bench/README.md.
struct FanoutLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "WebSocket fan-out load: N clients × K symbols; delivered updates/s and latency.",
        discussion: """
            Modes: steady (default; --rate with the publisher feed), saturation (--rates U1,U2,… with \
            --step-seconds), burst (--burst N --burst-gap-ms G) and idle (--idle). Prints one JSON object.
            """)

    enum Feed: String, ExpressibleByArgument {
        case none, publisher
    }

    enum Mode: String {
        case steady, saturation, burst, idle
    }

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int
    @Option(help: "WebSocket path of the clients' stream.") var path = "/stream"
    @Option(help: "Clients to connect.") var clients = 1_000
    @Option(help: "Comma-separated symbol universe; or use --synthetic.") var symbols = ""
    @Option(help: "Use S0001…S<n> as the universe (tickhub-sim --synthetic).") var synthetic = 0
    @Option(help: "Symbols per client.") var perClient = 20
    @Option(help: "How clients pick symbols: uniform or zipf.") var pattern = "zipf"
    @Option(help: "Share of clients that stop reading after subscribing.") var slowFraction = 0.0
    @Option(help: "New connections per second.") var ramp = 2_000.0
    @Option(help: "Seconds measured (steady), or held (idle).") var duration = 10.0
    @Option(help: "Seconds of feed before measuring (per step in saturation).") var warmup = 2.0
    @Option(help: "Client event-loop threads.") var threads = 1
    @Option(name: [.customLong("server-pid"), .customLong("hub-pid")],
            help: "The server's pid, to read its CPU and memory from /proc (--hub-pid is the old name).")
    var serverPid: Int?
    @Option(help: "Random seed for symbol choice and the feed.") var seed: UInt64 = 7
    @Option(help: "Free-form label copied into the report.") var label = ""
    @Option(help: "Also write the JSON report to this file.") var output: String?

    @Option(help: "none: the server's own feed; publisher: the bench publishes to --publish-path.")
    var feed: Feed = .none
    @Option(help: "WebSocket path the publisher connects to.") var publishPath = "/publish"
    @Option(help: "Publisher bearer token (default: $TICKHUB_PUBLISH_TOKEN).") var publishToken: String?
    @Option(help: "Most updates in one publisher frame.") var publishBatch = 200
    @Option(help: "Field latency is measured from: ts (publisher) or t (hub); default ts with the publisher.")
    var clock: ClockField?

    @Option(help: "Steady: updates/s the publisher sends.") var rate: Int?
    @Option(help: "Saturation: comma-separated updates/s, run in order until one fails.") var rates = ""
    @Option(help: "Saturation: seconds measured per rate.") var stepSeconds = 5.0
    @Option(help: "A step is ok when its p99 is at most this.") var p99LimitMs = 50.0
    @Option(help: "…and when at most this share of updates was conflated away (1 = no limit).") var maxConflatedShare = 1.0
    @Option(help: "Burst: single updates of the first symbol to send.") var burst = 0
    @Option(help: "Burst: milliseconds between updates.") var burstGapMs = 10.0
    @Flag(help: "Idle: connect without subscribing, no feed; memory and accept rate only.") var idle = false

    var mode: Mode {
        if idle { return .idle }
        if burst > 0 { return .burst }
        if !rates.isEmpty { return .saturation }
        return .steady
    }

    var saturationRates: [Int] {
        rates.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        let modes = [idle, burst > 0, !rates.isEmpty].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("choose one of --idle, --burst, --rates") }
        guard clients > 0, threads > 0, ramp > 0, publishBatch > 0 else {
            throw ValidationError("--clients, --threads, --ramp and --publish-batch must be positive")
        }
        guard pattern == "zipf" || pattern == "uniform" else { throw ValidationError("--pattern is zipf or uniform") }
        switch mode {
        case .idle:
            guard feed == .none, rate == nil else { throw ValidationError("--idle runs without a feed") }
        case .burst:
            guard feed == .publisher else { throw ValidationError("--burst needs --feed publisher") }
            guard burstGapMs >= 0 else { throw ValidationError("--burst-gap-ms must not be negative") }
        case .saturation:
            guard feed == .publisher else { throw ValidationError("--rates needs --feed publisher") }
            let parsed = saturationRates
            guard !parsed.isEmpty, parsed.count == rates.split(separator: ",").count, parsed.allSatisfy({ $0 > 0 })
            else { throw ValidationError("--rates takes positive integers, e.g. 1000,2000,5000") }
        case .steady:
            if feed == .publisher {
                guard let rate, rate > 0 else { throw ValidationError("--feed publisher needs --rate (updates/s)") }
            } else if rate != nil {
                throw ValidationError("--rate needs --feed publisher")
            }
        }
    }

    func run() async throws {
        let universe = synthetic > 0
            ? (1...synthetic).map { "S" + String(repeating: "0", count: max(0, 4 - String($0).count)) + String($0) }
            : symbols.split(separator: ",").map(String.init)
        guard !universe.isEmpty else { throw ValidationError("give --symbols or --synthetic") }
        let clock = self.clock ?? (feed == .publisher ? .ts : .t)
        raiseOpenFileLimit()

        let slowCount = mode == .idle ? 0 : Int(Double(clients) * slowFraction)
        var report = FanoutReport(
            label: label, mode: mode.rawValue, clients: clients, slowClients: slowCount,
            perClient: mode == .idle ? 0 : min(perClient, universe.count), universe: universe.count,
            pattern: pattern, feed: feed.rawValue, clock: clock.rawValue)
        report.server.pid = serverPid
        let server = serverPid.map { ServerProcess(pid: $0) }
        let fleet = ClientFleet(threads: threads, clock: clock, universeSize: universe.count)
        var publisher: Publisher?
        do {
            if feed == .publisher {
                let token = publishToken ?? ProcessInfo.processInfo.environment["TICKHUB_PUBLISH_TOKEN"] ?? ""
                publisher = try await Publisher.connect(
                    host: host, port: port, path: publishPath, token: token, universe: universe,
                    batch: publishBatch, seed: seed)
            }
            var run = FanoutRun(fleet: fleet, publisher: publisher, server: server, p99LimitMs: p99LimitMs)
            run.maximumConflatedShare = maxConflatedShare
            try await measure(run, universe: universe, slowCount: slowCount, into: &report)
        } catch {
            if report.error == nil { report.error = "\(error)" }
        }
        report.server.rssKiB.end = server?.residentKiB()
        report.disconnected = (try? await fleet.counts())?.disconnected ?? 0
        if let publisher {
            try? await publisher.setRate(0)
            report.publisherReply = await publisher.firstReply()
        }

        let json = try report.json()
        print(String(decoding: json, as: UTF8.self))
        if let output { try (json + Data("\n".utf8)).write(to: URL(fileURLWithPath: output)) }
        // After the report, so that a slow goodbye cannot cost the results.
        await publisher?.close()
        await fleet.close()
    }

    /// Connects the clients, then runs the mode's steps, filling `report` as it goes so that a failure part-way
    /// still reports everything measured before it.
    func measure(_ run: FanoutRun, universe: [String], slowCount: Int, into report: inout FanoutReport) async throws {
        let server = run.server
        var chooser = SymbolChooser(universeSize: universe.count, zipf: pattern == "zipf", seed: seed)
        let plans = (0..<clients).map { i in
            ClientFleet.Client(symbols: mode == .idle ? [] : chooser.pick(perClient), slow: i < slowCount)
        }
        let rssBefore = server?.residentKiB()
        report.server.rssKiB.before = rssBefore
        let connectSeconds = await run.fleet.connect(
            host: host, port: port, path: path, clients: plans, universe: universe, subscribe: mode != .idle,
            ramp: ramp)
        let connected = run.fleet.connected
        let rssConnected = server?.residentKiB()
        report.connected = connected
        report.failed = run.fleet.failed
        report.connectSeconds = (connectSeconds * 100).rounded() / 100
        report.acceptedPerSecond = Int((Double(connected) / max(connectSeconds, 0.001)).rounded())
        report.server.rssKiB.connected = rssConnected
        if let rssBefore, let rssConnected, connected > 0 {
            report.server.rssPerConnectionBytes = (rssConnected - rssBefore) * 1024 / connected
        }
        guard connected > 0 else {
            throw FanoutError("no client connected" + (run.fleet.firstFailure.map { ": \($0)" } ?? ""))
        }
        try await run.publisher?.setReaders(run.fleet.readers)

        switch mode {
        case .idle:
            let (step, problem) = try await run.measureStep(rate: nil, seconds: duration, expectsUpdates: false)
            report.steps.append(step)
            report.error = problem

        case .steady:
            if let rate { try await run.publisher?.setRate(Double(rate)) }
            if let problem = await run.hold(warmup) { throw FanoutError(problem) }
            let (step, problem) = try await run.measureStep(rate: run.publisher == nil ? nil : rate, seconds: duration)
            report.steps.append(step)
            report.error = problem

        case .saturation:
            report.sustainedRate = 0
            for rate in saturationRates {
                try await run.publisher?.setRate(Double(rate))
                if let problem = await run.hold(warmup) {
                    report.error = problem
                    break
                }
                let (step, problem) = try await run.measureStep(rate: rate, seconds: stepSeconds)
                report.steps.append(step)
                report.error = problem
                if step.ok { report.sustainedRate = max(report.sustainedRate ?? 0, rate) } else { break }
            }

        case .burst:
            guard run.fleet.readers[0] > 0 else {
                throw FanoutError("no reading client subscribes to \(universe[0]), the burst's symbol "
                                  + "(use e.g. --synthetic 1 --per-client 1)")
            }
            if let problem = await run.hold(warmup) { throw FanoutError(problem) }
            let gap = TimeAmount.nanoseconds(Int64(burstGapMs * 1_000_000))
            let (step, burstReport, problem) = try await run.measureBurst(count: burst, gap: gap)
            report.steps.append(step)
            report.burst = burstReport
            report.error = problem
        }
    }
}
