import Foundation

/// The JSON one `fanout` run prints and writes: the connection phase, the server's memory, one entry per
/// measured step, and the burst or saturation verdict. Keys are sorted; a figure that does not apply to the run
/// (a rate without a feed, say) is null, and a section that does not apply to the mode is left out.
struct FanoutReport: Encodable {
    var benchmark = "fanout"
    var label: String
    var mode: String
    var clients: Int
    var connected = 0
    var failed = 0
    /// Connected clients whose connection has since closed.
    var disconnected = 0
    var slowClients: Int
    var perClient: Int
    var universe: Int
    var pattern: String
    var feed: String
    var clock: String
    var acceptedPerSecond = 0
    var connectSeconds = 0.0
    var server = ServerReport()
    var steps: [StepReport] = []
    var sustainedRate: Int?
    var burst: BurstReport?
    /// The first text the server sent the publisher, when it sent any (usually the reason it rejected a publish).
    var publisherReply: String?
    var error: String?

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

struct ServerReport: Encodable {
    var pid: Int?
    var rssKiB = RSS()
    var rssPerConnectionBytes: Int?

    struct RSS: Encodable {
        var before: Int?
        var connected: Int?
        var end: Int?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(before, forKey: .before)
            try c.encode(connected, forKey: .connected)
            try c.encode(end, forKey: .end)
        }

        enum CodingKeys: String, CodingKey { case before, connected, end }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pid, forKey: .pid)
        try c.encode(rssKiB, forKey: .rssKiB)
        try c.encode(rssPerConnectionBytes, forKey: .rssPerConnectionBytes)
    }

    enum CodingKeys: String, CodingKey { case pid, rssKiB, rssPerConnectionBytes }
}

struct StepReport: Encodable {
    /// Target updates/s; null without a feed of the bench's own.
    var rate: Int?
    var seconds: Double
    var publishedPerSecond: Int?
    var updatesPerSecond: Int
    var framesPerSecond: Int
    /// Deliveries the published updates should produce: per update, its symbol's reading subscribers.
    var expectedPerSecond: Int?
    /// The share of expected deliveries that never arrived (conflated or dropped).
    var conflatedShare: Double?
    var latencyMs: LatencyReport
    /// `[percentile, ms]` for a latency curve.
    var percentiles: [[Double]]
    var serverCPUPercent: Double?
    var serverRSSKiB: Int?
    /// The load generator's own CPU over the step: evidence that it was not the bottleneck.
    var benchCPUPercent: Double?
    var ok: Bool

    // Written out so that a figure that does not apply is null rather than missing.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rate, forKey: .rate)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(publishedPerSecond, forKey: .publishedPerSecond)
        try c.encode(updatesPerSecond, forKey: .updatesPerSecond)
        try c.encode(framesPerSecond, forKey: .framesPerSecond)
        try c.encode(expectedPerSecond, forKey: .expectedPerSecond)
        try c.encode(conflatedShare, forKey: .conflatedShare)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(percentiles, forKey: .percentiles)
        try c.encode(serverCPUPercent, forKey: .serverCPUPercent)
        try c.encode(serverRSSKiB, forKey: .serverRSSKiB)
        try c.encode(benchCPUPercent, forKey: .benchCPUPercent)
        try c.encode(ok, forKey: .ok)
    }

    enum CodingKeys: String, CodingKey {
        case rate, seconds, publishedPerSecond, updatesPerSecond, framesPerSecond, expectedPerSecond, conflatedShare
        case latencyMs, percentiles, serverCPUPercent, serverRSSKiB, benchCPUPercent, ok
    }
}

struct LatencyReport: Encodable {
    var p50: Double
    var p90: Double
    var p99: Double
    var p999: Double
    var max: Double
    var samples: Int

    enum CodingKeys: String, CodingKey {
        case p50, p90, p99, p999 = "p99.9", max, samples
    }
}

struct BurstReport: Encodable {
    /// Updates the publisher sent, and how many of them reached at least one client.
    var updates: Int
    var received: Int
    var receiversMean: Double
    /// Per update, the latency of the last client to receive it.
    var lastReceiverMs: Latency

    struct Latency: Encodable {
        var p50: Double
        var p90: Double
        var p99: Double
        var max: Double
    }
}
