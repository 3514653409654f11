/// For a burst: each update's last arrival and how many clients received it, keyed by the update's `ts` (the
/// publisher makes every `ts` unique, so it identifies the update).
///
/// One tracker per client event loop, filled on that loop; the bench merges them when the burst is over.
struct BurstTracker: Sendable {
    struct Arrivals: Sendable {
        /// The latest receipt, as latency in µs: the last receiver's view of the update.
        var latestMicros: UInt64 = 0
        var receivers = 0
    }

    private(set) var updates: [UInt64: Arrivals] = [:]

    mutating func record(sent: UInt64, latencyMicros: UInt64) {
        var arrivals = updates[sent, default: Arrivals()]
        arrivals.latestMicros = max(arrivals.latestMicros, latencyMicros)
        arrivals.receivers += 1
        updates[sent] = arrivals
    }

    mutating func merge(_ other: BurstTracker) {
        for (sent, arrivals) in other.updates {
            var merged = updates[sent] ?? Arrivals()
            merged.latestMicros = max(merged.latestMicros, arrivals.latestMicros)
            merged.receivers += arrivals.receivers
            updates[sent] = merged
        }
    }

    func receivers(of sent: UInt64) -> Int { updates[sent]?.receivers ?? 0 }

    /// The burst's figures over the updates the publisher actually sent; arrivals of anything else (a snapshot
    /// sent on subscribe, say) are ignored. An update nobody received counts as zero receivers and has no
    /// last-receiver latency.
    func report(sent: [UInt64]) -> BurstReport {
        var latest: [UInt64] = []
        var receivers = 0
        for stamp in sent {
            guard let arrivals = updates[stamp] else { continue }
            latest.append(arrivals.latestMicros)
            receivers += arrivals.receivers
        }
        latest.sort()
        func ms(_ percentile: Double) -> Double {
            guard !latest.isEmpty else { return 0 }
            // Nearest rank: the smallest value with at least `percentile` % of the updates at or below it.
            let rank = Int((percentile / 100 * Double(latest.count)).rounded(.up))
            return Double(latest[max(0, min(latest.count - 1, rank - 1))]) / 1_000
        }
        return BurstReport(
            updates: sent.count, received: latest.count,
            receiversMean: sent.isEmpty ? 0 : (Double(receivers) / Double(sent.count) * 100).rounded() / 100,
            lastReceiverMs: BurstReport.Latency(
                p50: ms(50), p90: ms(90), p99: ms(99), max: latest.last.map { Double($0) / 1_000 } ?? 0))
    }
}
