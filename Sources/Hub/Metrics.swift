import TickhubCore

/// Counters and the fan-out latency histogram, kept on the shard's thread as plain integers (the fan-out counts per
/// delivered message, so a count costs an add, no lock, no atomic) and rendered for Prometheus at scrape time. The
/// counts themselves are a value (`MetricCounts`), read and written here by name: `metrics.updatesIn += 1`.
@dynamicMemberLookup
package final class Metrics {
    package private(set) var counts = MetricCounts()

    package init() {}

    package subscript<Value>(dynamicMember count: WritableKeyPath<MetricCounts, Value>) -> Value {
        get { counts[keyPath: count] }
        set { counts[keyPath: count] = newValue }
    }

    /// Fan-out latency bucket bounds, in microseconds (cumulative in the exposition).
    static let latencyBoundsMicros: [Int64] = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000]

    func observeLatency(_ micros: Int64) {
        var index = 0
        while index < Self.latencyBoundsMicros.count, micros > Self.latencyBoundsMicros[index] { index += 1 }
        counts.latencyBuckets[index] += 1
        counts.latencySumMicros += max(0, micros)
        counts.latencyCount += 1
    }

    /// An HTTP request answered, under its route's name (`FanoutHub.metricsRoute`).
    func countRequest(route: String, status: Int) {
        counts.httpRequests[HTTPRequestCount(route: route, status: status), default: 0] += 1
    }

    /// A client closed for not reading, with the code it was sent.
    func countSlowClose(code: UInt16) {
        counts.slowClientsClosed[code, default: 0] += 1
    }

    /// A counter of the exposition: its name, what it counts, and where in `MetricCounts` it is kept.
    struct Counter: Sendable {
        let name: String
        let help: String
        let count: WritableKeyPath<MetricCounts, Int> & Sendable
    }

    static let counters: [Counter] = [
        Counter(name: "tickhub_updates_in_total", help: "Quote updates received from providers.", count: \.updatesIn),
        Counter(name: "tickhub_updates_out_total", help: "Quote updates delivered to clients.", count: \.updatesDelivered),
        Counter(name: "tickhub_updates_conflated_total", help: "Updates replaced by a newer one before a slow client took them.", count: \.updatesConflated),
        Counter(name: "tickhub_pnl_updates_out_total", help: "P&L pushes delivered to pnl channel subscribers.", count: \.pnlUpdatesDelivered),
        Counter(name: "tickhub_frames_written_total", help: "WebSocket frames written.", count: \.framesWritten),
        Counter(name: "tickhub_written_bytes_total", help: "WebSocket payload bytes written.", count: \.bytesWritten),
        Counter(name: "tickhub_clients_accepted_total", help: "WebSocket clients accepted.", count: \.clientsAccepted),
        Counter(name: "tickhub_idle_clients_closed_total", help: "Clients dropped for answering neither data nor pings for idleHangupSeconds.", count: \.idleClientsClosed),
        Counter(name: "tickhub_symbols_refused_at_capacity_total", help: "Symbols not followed because the hub already follows maxUpstreamSymbols.", count: \.symbolsRefusedAtCapacity),
        Counter(name: "tickhub_unmasked_frame_clients_closed_total", help: "WebSocket clients closed (1002) for sending a frame without a mask.", count: \.unmaskedFramesClosed),
        Counter(name: "tickhub_requests_refused_too_many_symbols_total", help: "Quote requests and CSV imports refused for more symbols than maxSymbolsPerRequest / maxSymbolsPerImport.", count: \.requestsRefusedForSymbols),
        Counter(name: "tickhub_clients_closed_for_errors_total", help: "Stream clients closed with 1008 for earning more than maxErrorsPerMinute errors.", count: \.clientsClosedForErrors),
        Counter(name: "tickhub_client_errors_suppressed_total", help: "Error messages folded into an errors_suppressed summary because maxQueuedErrors were already waiting.", count: \.errorsSuppressed),
        Counter(name: "tickhub_unauthorized_clients_closed_total", help: "Stream clients closed with 1008 for a missing or wrong token in their first message.", count: \.unauthorizedClosed),
        Counter(name: "tickhub_bad_client_messages_total", help: "Client messages rejected as malformed or invalid.", count: \.badClientMessages),
        Counter(name: "tickhub_oversized_messages_total", help: "Client messages over the size limit (closed with 1009).", count: \.oversizedMessages),
        Counter(name: "tickhub_publishers_accepted_total", help: "/publish connections accepted.", count: \.publishersAccepted),
        Counter(name: "tickhub_published_quotes_total", help: "Pushed quotes accepted (WebSocket and HTTP).", count: \.quotesPublished),
        Counter(name: "tickhub_published_quotes_rejected_total", help: "Pushed quotes rejected for a bad field.", count: \.quotesRejected),
        Counter(name: "tickhub_bad_publish_messages_total", help: "Publisher messages refused whole (not JSON, not quotes, too large).", count: \.badPublishMessages),
    ]

    /// Close codes a slow client can be sent, shown at 0 before the first, so that `rate()` has a series to start from.
    static let slowCloseCodes: [UInt16] = [1013]

    /// The Prometheus text exposition for the whole hub: every shard's figures, the market and providers as this
    /// shard sees them (every shard sees the same), and the process's registry (`ProcessMetrics`) rendered by
    /// swift-prometheus.
    static func render(_ shards: [ShardFigures], market: MarketGauges, process: [UInt8] = []) -> String {
        let counts = MetricCounts.combined(shards.map(\.counts))
        var out = PrometheusExposition()
        out.family("tickhub_clients", .gauge, "Connected WebSocket clients.", shards.reduce(0) { $0 + $1.clients })
        out.family("tickhub_subscriptions", .gauge, "Client symbol subscriptions.", shards.reduce(0) { $0 + $1.subscriptions })
        out.family("tickhub_publishers", .gauge, "Connected /publish WebSocket publishers.", shards.reduce(0) { $0 + $1.publishers })
        // The kernel spreads new connections over the shards' listening sockets: how evenly shows here.
        out.family("tickhub_shard_clients", .gauge, "Connected WebSocket clients of each service thread (shard).",
                   shards.sorted { $0.shard < $1.shard }.map { ([("shard", "\($0.shard)")], Double($0.clients)) })
        market.render(into: &out)
        for counter in counters { out.family(counter.name, .counter, counter.help, counts[keyPath: counter.count]) }
        let slowCloses = Set(slowCloseCodes).union(counts.slowClientsClosed.keys).sorted()
        out.family("tickhub_slow_clients_closed_total", .counter, "Clients closed for not draining their socket, by the close code sent.",
                   slowCloses.map { ([("code", "\($0)")], Double(counts.slowClientsClosed[$0] ?? 0)) })
        out.family("tickhub_http_requests_total", .counter,
                   "HTTP requests answered, by route (unknown paths as route=\"unmatched\") and status.",
                   counts.httpRequests.sorted { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }
                       .map { ([("route", $0.key.route), ("status", "\($0.key.status)")], Double($0.value)) })
        out.histogram("tickhub_fanout_latency_seconds", "Update received to frame written.",
                      bounds: latencyBoundsMicros.map { Double($0) / 1e6 }, counts: counts.latencyBuckets,
                      sum: Double(counts.latencySumMicros) / 1e6)
        out.append(process)
        return out.text
    }
}
