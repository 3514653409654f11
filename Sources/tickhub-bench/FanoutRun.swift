import NIOCore

/// What a fan-out run measures with: the clients, the bench's own publisher (if any) and the server's process.
/// Measures steps, and watches throughout for a server that died, so that no wait outlives it.
struct FanoutRun {
    let fleet: ClientFleet
    let publisher: Publisher?
    let server: ServerProcess?
    let p99LimitMs: Double
    var maximumConflatedShare = 1.0

    /// Waits `seconds`, checking every 100 ms that the run can go on; returns why it cannot, if it cannot.
    func hold(_ seconds: Double) async -> String? {
        let end = ContinuousClock.now + .microseconds(Int64(max(0, seconds) * 1_000_000))
        while true {
            if let problem = await problem() { return problem }
            let now = ContinuousClock.now
            if now >= end { return nil }
            try? await Task.sleep(until: min(end, now + .milliseconds(100)))
        }
    }

    /// Why the run cannot go on: the server process is gone, the publisher's connection closed, or every client
    /// lost its connection.
    func problem() async -> String? {
        if let server, !server.isRunning { return "server process \(server.pid) exited" }
        if let publisher, !publisher.isActive {
            let reply = await publisher.firstReply()
            return "publisher connection closed" + (reply.map { " (server said: \($0))" } ?? "")
        }
        if let counts = try? await fleet.counts(), counts.connected > 0, counts.disconnected >= counts.connected {
            return "all \(counts.connected) clients lost their connections"
        }
        return nil
    }

    /// Where a step's figures start from.
    struct StepStart {
        let counts: ClientFleet.Counts
        let published: Publisher.Counters?
        let serverCPU: Double?
        let benchCPU: Double?
        let time: ContinuousClock.Instant
    }

    func beginStep(burst: Bool = false) async throws -> StepStart {
        let counts = try await fleet.startRecording(burst: burst)
        return StepStart(
            counts: counts, published: try await publisher?.counts(), serverCPU: server?.cpuSeconds(),
            benchCPU: processCPUSeconds(), time: .now)
    }

    /// Measures a steady step: `seconds` of recording at whatever the feed is doing.
    /// `rate` is the publisher's target, nil without one; an idle step expects no updates.
    func measureStep(rate: Int?, seconds: Double, expectsUpdates: Bool = true) async throws -> (StepReport, String?) {
        let start = try await beginStep()
        let problem = await hold(seconds)
        let (step, _) = try await endStep(start, rate: rate, expectsUpdates: expectsUpdates, problem: problem)
        return (step, problem)
    }

    /// Stops recording and turns the step's counters, histogram and CPU into its report.
    func endStep(_ start: StepStart, rate: Int?, expectsUpdates: Bool, problem: String?) async throws
        -> (StepReport, BurstTracker?) {
        let (counts, histogram, burst) = try await fleet.stopRecording()
        let elapsed = max((ContinuousClock.now - start.time) / .seconds(1), 0.001)
        let published = try? await publisher?.counts()
        let serverCPU = percent(start.serverCPU, server?.cpuSeconds(), elapsed)
        let benchCPU = percent(start.benchCPU, processCPUSeconds(), elapsed)
        func perSecond(_ n: Int) -> Int { Int((Double(n) / elapsed).rounded()) }

        let delivered = counts.updates - start.counts.updates
        var publishedPerSecond: Int?
        var expectedPerSecond: Int?
        var conflatedShare: Double?
        if let before = start.published, let after = published {
            let expected = after.expected - before.expected
            publishedPerSecond = perSecond(after.sent - before.sent)
            expectedPerSecond = perSecond(expected)
            if expected > 0 {
                conflatedShare = (max(0, 1 - Double(delivered) / Double(expected)) * 10_000).rounded() / 10_000
            }
        }
        let latency = histogram.latencyReport
        var ok = problem == nil && latency.p99 <= p99LimitMs
        // Nothing delivered is not a pass: the clock field may be missing, or the server is not forwarding.
        if expectsUpdates && latency.samples == 0 { ok = false }
        if let rate, let publishedPerSecond { ok = ok && Double(publishedPerSecond) >= 0.95 * Double(rate) }
        // Conflation keeps latency low by skipping superseded quotes; past a point that is delivery falling behind.
        if let conflatedShare { ok = ok && conflatedShare <= maximumConflatedShare }
        let step = StepReport(
            rate: rate, seconds: (elapsed * 100).rounded() / 100, publishedPerSecond: publishedPerSecond,
            updatesPerSecond: perSecond(delivered), framesPerSecond: perSecond(counts.frames - start.counts.frames),
            expectedPerSecond: expectedPerSecond, conflatedShare: conflatedShare, latencyMs: latency,
            percentiles: histogram.percentileCurve, serverCPUPercent: serverCPU, serverRSSKiB: server?.residentKiB(),
            benchCPUPercent: benchCPU, ok: ok)
        return (step, burst)
    }

    private func percent(_ before: Double?, _ after: Double?, _ seconds: Double) -> Double? {
        guard let before, let after else { return nil }
        return ((after - before) / seconds * 1_000).rounded() / 10
    }
}
