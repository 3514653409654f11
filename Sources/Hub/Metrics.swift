import TickhubCore

/// Counters and the fan-out latency histogram, kept on the fan-out thread and rendered for Prometheus.
package final class Metrics {
    var updatesIn = 0
    var updatesDelivered = 0
    /// P&L pushes written to `pnl` subscribers: valuations, not quote updates, so counted apart.
    var pnlUpdatesDelivered = 0
    var updatesConflated = 0
    var framesWritten = 0
    var bytesWritten = 0
    var clientsAccepted = 0
    var slowClientsClosed = 0
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
    var httpRequests = 0
    var publishersAccepted = 0
    /// Pushed quotes taken, and rejected (bad fields, or part of a message that was not JSON).
    var quotesPublished = 0
    var quotesRejected = 0
    package var badPublishMessages = 0

    // Per-second rates, refreshed by housekeeping.
    var updatesInPerSecond = 0.0
    var updatesOutPerSecond = 0.0
    private var lastUpdatesIn = 0
    private var lastUpdatesOut = 0

    /// Fan-out latency (update received → frame written), in microseconds: cumulative bucket bounds.
    static let latencyBoundsMicros: [Int64] = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000]
    var latencyBuckets = [Int](repeating: 0, count: latencyBoundsMicros.count + 1)
    var latencySumMicros: Int64 = 0
    var latencyCount = 0

    func observeLatency(_ micros: Int64) {
        var index = 0
        while index < Self.latencyBoundsMicros.count, micros > Self.latencyBoundsMicros[index] { index += 1 }
        latencyBuckets[index] += 1
        latencySumMicros += max(0, micros)
        latencyCount += 1
    }

    package func everySecond(seconds: Double) {
        updatesInPerSecond = Double(updatesIn - lastUpdatesIn) / seconds
        updatesOutPerSecond = Double(updatesDelivered - lastUpdatesOut) / seconds
        lastUpdatesIn = updatesIn
        lastUpdatesOut = updatesDelivered
    }

    /// The Prometheus text exposition.
    package init() {}

    func render(clients: Int, publishers: Int = 0, subscriptions: Int, symbols: Int, providers: [ProviderHealth]) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: CustomStringConvertible) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("tickhub_clients", "gauge", "Connected WebSocket clients.", clients)
        metric("tickhub_subscriptions", "gauge", "Client symbol subscriptions.", subscriptions)
        metric("tickhub_symbols", "gauge", "Symbols with a known quote.", symbols)
        metric("tickhub_updates_in_total", "counter", "Quote updates received from providers.", updatesIn)
        metric("tickhub_updates_out_total", "counter", "Quote updates delivered to clients.", updatesDelivered)
        metric("tickhub_updates_conflated_total", "counter", "Updates replaced by a newer one before a slow client took them.", updatesConflated)
        metric("tickhub_updates_in_per_second", "gauge", "Quote updates received per second.", updatesInPerSecond)
        metric("tickhub_updates_out_per_second", "gauge", "Quote updates delivered per second.", updatesOutPerSecond)
        metric("tickhub_pnl_updates_out_total", "counter", "P&L pushes delivered to pnl channel subscribers.", pnlUpdatesDelivered)
        metric("tickhub_frames_written_total", "counter", "WebSocket frames written.", framesWritten)
        metric("tickhub_bytes_written_total", "counter", "WebSocket payload bytes written.", bytesWritten)
        metric("tickhub_clients_accepted_total", "counter", "WebSocket clients accepted.", clientsAccepted)
        metric("tickhub_slow_clients_closed_total", "counter", "Clients closed with 1013 for not draining their socket.", slowClientsClosed)
        metric("tickhub_idle_clients_closed_total", "counter", "Clients dropped for answering neither data nor pings for idleHangupSeconds.", idleClientsClosed)
        metric("tickhub_symbols_refused_at_capacity_total", "counter", "Symbols not followed because the hub already follows maxUpstreamSymbols.", symbolsRefusedAtCapacity)
        metric("tickhub_unmasked_frame_clients_closed_total", "counter", "WebSocket clients closed (1002) for sending a frame without a mask.", unmaskedFramesClosed)
        metric("tickhub_requests_refused_too_many_symbols_total", "counter", "Quote requests and CSV imports refused for more symbols than maxSymbolsPerRequest / maxSymbolsPerImport.", requestsRefusedForSymbols)
        metric("tickhub_clients_closed_for_errors_total", "counter", "Stream clients closed with 1008 for earning more than maxErrorsPerMinute errors.", clientsClosedForErrors)
        metric("tickhub_client_errors_suppressed_total", "counter", "Error messages folded into an errors_suppressed summary because maxQueuedErrors were already waiting.", errorsSuppressed)
        metric("tickhub_unauthorized_clients_closed_total", "counter", "Stream clients closed with 1008 for a missing or wrong token in their first message.", unauthorizedClosed)
        metric("tickhub_bad_client_messages_total", "counter", "Client messages rejected as malformed or invalid.", badClientMessages)
        metric("tickhub_oversized_messages_total", "counter", "Client messages over the size limit (closed with 1009).", oversizedMessages)
        metric("tickhub_http_requests_total", "counter", "HTTP requests served.", httpRequests)
        metric("tickhub_publishers", "gauge", "Connected /publish WebSocket publishers.", publishers)
        metric("tickhub_publishers_accepted_total", "counter", "/publish connections accepted.", publishersAccepted)
        metric("tickhub_published_quotes_total", "counter", "Pushed quotes accepted (WebSocket and HTTP).", quotesPublished)
        metric("tickhub_published_quotes_rejected_total", "counter", "Pushed quotes rejected for a bad field.", quotesRejected)
        metric("tickhub_bad_publish_messages_total", "counter", "Publisher messages refused whole (not JSON, not quotes, too large).", badPublishMessages)
        out += "# HELP tickhub_fanout_latency_seconds Update received to frame written.\n"
        out += "# TYPE tickhub_fanout_latency_seconds histogram\n"
        var cumulative = 0
        for (index, bound) in Self.latencyBoundsMicros.enumerated() {
            cumulative += latencyBuckets[index]
            out += "tickhub_fanout_latency_seconds_bucket{le=\"\(Double(bound) / 1e6)\"} \(cumulative)\n"
        }
        cumulative += latencyBuckets[Self.latencyBoundsMicros.count]
        out += "tickhub_fanout_latency_seconds_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "tickhub_fanout_latency_seconds_sum \(Double(latencySumMicros) / 1e6)\n"
        out += "tickhub_fanout_latency_seconds_count \(latencyCount)\n"
        out += "# HELP tickhub_provider_up Provider state (1 when in the named state).\n# TYPE tickhub_provider_up gauge\n"
        for report in providers {
            for state in ProviderState.allCases where state != .unknown {
                out += "tickhub_provider_up{provider=\"\(report.name.rawValue)\",state=\"\(state.rawValue)\"} \(report.state == state ? 1 : 0)\n"
            }
        }
        return out
    }
}
