/// What one shard has counted, as a value: kept by its `Metrics` on its own thread, and taken from there for
/// whichever shard renders `/metrics`, which adds up every shard's (`combined`).
package struct MetricCounts: Sendable, Equatable {
    var updatesIn = 0
    var updatesDelivered = 0
    /// P&L pushes written to `pnl` subscribers: valuations, not quote updates, so counted apart.
    var pnlUpdatesDelivered = 0
    var updatesConflated = 0
    var framesWritten = 0
    var bytesWritten = 0
    var clientsAccepted = 0
    /// Clients closed for not reading, by the close code they were sent.
    var slowClientsClosed: [UInt16: Int] = [:]
    var idleClientsClosed = 0
    var unauthorizedClosed = 0
    var clientsClosedForErrors = 0
    var symbolsRefusedAtCapacity = 0
    /// `/quotes` requests and CSV imports refused for holding more symbols than one may.
    package var requestsRefusedForSymbols = 0
    /// Clients closed with 1002 for an unmasked frame.
    package var unmaskedFramesClosed = 0
    var errorsSuppressed = 0
    var badClientMessages = 0
    package var oversizedMessages = 0
    /// HTTP requests answered, by route (`HubRouter`'s names) and status.
    var httpRequests: [HTTPRequestCount: Int] = [:]
    var publishersAccepted = 0
    /// Pushed quotes taken, and rejected (bad fields, or part of a message that was not JSON).
    var quotesPublished = 0
    var quotesRejected = 0
    package var badPublishMessages = 0

    /// Fan-out latency (update received → frame written), in microseconds: one count per bucket of
    /// `Metrics.latencyBoundsMicros`, and one above the last bound.
    var latencyBuckets = [Int](repeating: 0, count: Metrics.latencyBoundsMicros.count + 1)
    var latencySumMicros: Int64 = 0
    var latencyCount = 0

    package init() {}

    /// The hub's counts from its shards': each shard's clients and requests are its own, so their counts add up;
    /// but every shard takes every update in, so the updates received are the largest shard's count, not the sum.
    static func combined(_ shards: [MetricCounts]) -> MetricCounts {
        var total = MetricCounts()
        for shard in shards {
            for counter in Metrics.counters { total[keyPath: counter.count] += shard[keyPath: counter.count] }
            total.slowClientsClosed.merge(shard.slowClientsClosed, uniquingKeysWith: +)
            total.httpRequests.merge(shard.httpRequests, uniquingKeysWith: +)
            for index in total.latencyBuckets.indices { total.latencyBuckets[index] += shard.latencyBuckets[index] }
            total.latencySumMicros += shard.latencySumMicros
            total.latencyCount += shard.latencyCount
        }
        total.updatesIn = shards.map(\.updatesIn).max() ?? 0
        return total
    }
}

/// The labels of `tickhub_http_requests_total`: few routes, few statuses, so the series stay few whatever is asked.
struct HTTPRequestCount: Hashable, Sendable {
    let route: String
    let status: Int
}
