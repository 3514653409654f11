import NIOCore

extension FanoutRun {
    /// The longest the bench waits, after the last update of a burst, for every client to receive it.
    static let burstDrainLimit: Duration = .seconds(5)

    /// Sends `count` single updates of symbol 0, `gap` apart, and times each one's last receiver: the moment the
    /// slowest of the clients watching the symbol got it, keyed by the update's `ts`.
    func measureBurst(count: Int, gap: TimeAmount) async throws -> (StepReport, BurstReport, String?) {
        guard let publisher else { throw FanoutError("a burst needs --feed publisher") }
        let receivers = fleet.readers.first ?? 0
        let start = try await beginStep(burst: true)
        // Bounded by the publisher: it gives up on writes still pending 5 s after the last send.
        let sent = try await publisher.burst(symbol: 0, count: count, gap: gap)
        var problem = await problem()
        if problem == nil, let last = sent.last {
            let deadline = ContinuousClock.now + Self.burstDrainLimit
            var polls = 0
            while ContinuousClock.now < deadline, try await fleet.burstReceivers(of: last) < receivers {
                try? await Task.sleep(for: .milliseconds(10))
                polls += 1
                if polls % 10 == 0, let found = await self.problem() {
                    problem = found
                    break
                }
            }
        }
        let (step, tracker) = try await endStep(start, rate: nil, expectsUpdates: true, problem: problem)
        return (step, (tracker ?? BurstTracker()).report(sent: sent), problem)
    }
}
