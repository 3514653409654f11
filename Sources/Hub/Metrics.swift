import TickhubCore

/// Counters and the fan-out latency histogram, kept on the shard's thread and rendered for Prometheus. The counts
/// themselves are a value (`MetricCounts`), read and written here by name: `metrics.updatesIn += 1`.
@dynamicMemberLookup
package final class Metrics {
    package private(set) var counts = MetricCounts()
    private var lastUpdatesIn = 0
    private var lastUpdatesOut = 0

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

    package func everySecond(seconds: Double) {
        counts.updatesInPerSecond = Double(counts.updatesIn - lastUpdatesIn) / seconds
        counts.updatesOutPerSecond = Double(counts.updatesDelivered - lastUpdatesOut) / seconds
        lastUpdatesIn = counts.updatesIn
        lastUpdatesOut = counts.updatesDelivered
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
        Counter(name: "tickhub_bytes_written_total", help: "WebSocket payload bytes written.", count: \.bytesWritten),
        Counter(name: "tickhub_clients_accepted_total", help: "WebSocket clients accepted.", count: \.clientsAccepted),
        Counter(name: "tickhub_slow_clients_closed_total", help: "Clients closed with 1013 for not draining their socket.", count: \.slowClientsClosed),
        Counter(name: "tickhub_idle_clients_closed_total", help: "Clients dropped for answering neither data nor pings for idleHangupSeconds.", count: \.idleClientsClosed),
        Counter(name: "tickhub_symbols_refused_at_capacity_total", help: "Symbols not followed because the hub already follows maxUpstreamSymbols.", count: \.symbolsRefusedAtCapacity),
        Counter(name: "tickhub_unmasked_frame_clients_closed_total", help: "WebSocket clients closed (1002) for sending a frame without a mask.", count: \.unmaskedFramesClosed),
        Counter(name: "tickhub_requests_refused_too_many_symbols_total", help: "Quote requests and CSV imports refused for more symbols than maxSymbolsPerRequest / maxSymbolsPerImport.", count: \.requestsRefusedForSymbols),
        Counter(name: "tickhub_clients_closed_for_errors_total", help: "Stream clients closed with 1008 for earning more than maxErrorsPerMinute errors.", count: \.clientsClosedForErrors),
        Counter(name: "tickhub_client_errors_suppressed_total", help: "Error messages folded into an errors_suppressed summary because maxQueuedErrors were already waiting.", count: \.errorsSuppressed),
        Counter(name: "tickhub_unauthorized_clients_closed_total", help: "Stream clients closed with 1008 for a missing or wrong token in their first message.", count: \.unauthorizedClosed),
        Counter(name: "tickhub_bad_client_messages_total", help: "Client messages rejected as malformed or invalid.", count: \.badClientMessages),
        Counter(name: "tickhub_oversized_messages_total", help: "Client messages over the size limit (closed with 1009).", count: \.oversizedMessages),
        Counter(name: "tickhub_http_requests_total", help: "HTTP requests served.", count: \.httpRequests),
        Counter(name: "tickhub_publishers_accepted_total", help: "/publish connections accepted.", count: \.publishersAccepted),
        Counter(name: "tickhub_published_quotes_total", help: "Pushed quotes accepted (WebSocket and HTTP).", count: \.quotesPublished),
        Counter(name: "tickhub_published_quotes_rejected_total", help: "Pushed quotes rejected for a bad field.", count: \.quotesRejected),
        Counter(name: "tickhub_bad_publish_messages_total", help: "Publisher messages refused whole (not JSON, not quotes, too large).", count: \.badPublishMessages),
    ]

    /// The Prometheus text exposition for the whole hub, from every shard's figures.
    static func render(_ shards: [ShardFigures], symbols: Int, providers: [ProviderHealth]) -> String {
        let counts = MetricCounts.combined(shards.map(\.counts))
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: CustomStringConvertible) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("tickhub_clients", "gauge", "Connected WebSocket clients.", shards.reduce(0) { $0 + $1.clients })
        metric("tickhub_subscriptions", "gauge", "Client symbol subscriptions.", shards.reduce(0) { $0 + $1.subscriptions })
        metric("tickhub_publishers", "gauge", "Connected /publish WebSocket publishers.", shards.reduce(0) { $0 + $1.publishers })
        metric("tickhub_symbols", "gauge", "Symbols with a known quote.", symbols)
        metric("tickhub_updates_in_per_second", "gauge", "Quote updates received per second.", counts.updatesInPerSecond)
        metric("tickhub_updates_out_per_second", "gauge", "Quote updates delivered per second.", counts.updatesOutPerSecond)
        for counter in counters { metric(counter.name, "counter", counter.help, counts[keyPath: counter.count]) }
        // The kernel spreads new connections over the shards' listening sockets: how evenly shows here.
        out += "# HELP tickhub_shard_clients Connected WebSocket clients of each service thread (shard).\n"
        out += "# TYPE tickhub_shard_clients gauge\n"
        for shard in shards.sorted(by: { $0.shard < $1.shard }) {
            out += "tickhub_shard_clients{shard=\"\(shard.shard)\"} \(shard.clients)\n"
        }
        out += "# HELP tickhub_fanout_latency_seconds Update received to frame written.\n"
        out += "# TYPE tickhub_fanout_latency_seconds histogram\n"
        var cumulative = 0
        for (index, bound) in latencyBoundsMicros.enumerated() {
            cumulative += counts.latencyBuckets[index]
            out += "tickhub_fanout_latency_seconds_bucket{le=\"\(Double(bound) / 1e6)\"} \(cumulative)\n"
        }
        cumulative += counts.latencyBuckets[latencyBoundsMicros.count]
        out += "tickhub_fanout_latency_seconds_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "tickhub_fanout_latency_seconds_sum \(Double(counts.latencySumMicros) / 1e6)\n"
        out += "tickhub_fanout_latency_seconds_count \(counts.latencyCount)\n"
        out += "# HELP tickhub_provider_up Provider state (1 when in the named state).\n# TYPE tickhub_provider_up gauge\n"
        for report in providers {
            for state in ProviderState.allCases where state != .unknown {
                out += "tickhub_provider_up{provider=\"\(report.name.rawValue)\",state=\"\(state.rawValue)\"} \(report.state == state ? 1 : 0)\n"
            }
        }
        return out
    }
}
