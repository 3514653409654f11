import Histogram

/// Per-update latency in microseconds, kept in HdrHistograms (3 significant digits, up to 60 s) so memory stays
/// fixed however many updates a step delivers. Each client event loop records into its own; the bench merges
/// them when a step ends.
enum LatencyHistogram {
    static let highestMicros: UInt64 = 60_000_000

    static func make() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: highestMicros, numberOfSignificantValueDigits: .three)
    }

    /// The percentiles of the latency curve drawn in charts.
    static let curvePercentiles: [Double] = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
}

extension Histogram where Count == UInt64 {
    /// Milliseconds to the microsecond.
    func milliseconds(atPercentile percentile: Double) -> Double {
        Self.milliseconds(valueAtPercentile(percentile))
    }

    var latencyReport: LatencyReport {
        LatencyReport(
            p50: milliseconds(atPercentile: 50), p90: milliseconds(atPercentile: 90),
            p99: milliseconds(atPercentile: 99), p999: milliseconds(atPercentile: 99.9),
            max: Self.milliseconds(totalCount == 0 ? 0 : maxRecorded), samples: Int(totalCount))
    }

    /// `[percentile, ms]` pairs for a latency chart.
    var percentileCurve: [[Double]] {
        LatencyHistogram.curvePercentiles.map { [$0, totalCount == 0 ? 0 : milliseconds(atPercentile: $0)] }
    }

    static func milliseconds(_ micros: UInt64) -> Double { Double(micros) / 1_000 }
}
