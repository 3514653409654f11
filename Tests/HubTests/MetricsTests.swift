import Testing
import TickhubCore

@testable import Hub

@Suite("Metrics")
struct MetricsTests {
    @Test func latencyBucketsAreInclusiveUpperBounds() {
        let bounds = Metrics.latencyBoundsMicros
        #expect(bounds == [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000])
        for (index, bound) in bounds.enumerated() {
            let m = Metrics()
            m.observeLatency(bound)  // on the bound: that bucket
            m.observeLatency(bound + 1)  // just above: the next one
            #expect(m.latencyBuckets[index] == 1)
            #expect(m.latencyBuckets[index + 1] == 1)
            #expect(m.latencyBuckets.reduce(0, +) == 2)
        }
    }

    @Test func extremes() {
        let m = Metrics()
        m.observeLatency(0)
        m.observeLatency(-5)  // clocks are not monotonic across threads: counted, not summed negative
        m.observeLatency(5_000_000)
        #expect(m.latencyBuckets.first == 2)
        #expect(m.latencyBuckets.last == 1)
        #expect(m.latencyCount == 3)
        #expect(m.latencySumMicros == 5_000_000)
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    static func figures(_ m: Metrics, shard: Int = 0, clients: Int = 0, publishers: Int = 0, subscriptions: Int = 0) -> ShardFigures {
        ShardFigures(shard: shard, clients: clients, publishers: publishers, subscriptions: subscriptions, counts: m.counts)
    }

    @Test func renderHistogramIsCumulative() {
        let m = Metrics()
        for micros: Int64 in [50, 100, 200, 700, 700, 30_000, 2_000_000] { m.observeLatency(micros) }
        let text = Metrics.render([Self.figures(m)], symbols: 0, providers: [])
        let buckets = lines(text).filter { $0.hasPrefix("tickhub_fanout_latency_seconds_bucket") }
        #expect(buckets == [
            #"tickhub_fanout_latency_seconds_bucket{le="0.0001"} 2"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.00025"} 3"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.0005"} 3"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.001"} 5"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.0025"} 5"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.005"} 5"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.01"} 5"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.025"} 5"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.05"} 6"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.1"} 6"#,
            #"tickhub_fanout_latency_seconds_bucket{le="0.25"} 6"#,
            #"tickhub_fanout_latency_seconds_bucket{le="1.0"} 6"#,
            #"tickhub_fanout_latency_seconds_bucket{le="+Inf"} 7"#,
        ])
        #expect(lines(text).contains("tickhub_fanout_latency_seconds_count 7"))
        #expect(lines(text).contains("tickhub_fanout_latency_seconds_sum 2.03175"))
        #expect(text.contains("# TYPE tickhub_fanout_latency_seconds histogram\n"))
    }

    @Test func renderCountersGaugesAndProviderStates() {
        let m = Metrics()
        m.updatesIn = 1200
        m.updatesDelivered = 900
        m.updatesConflated = 300
        m.framesWritten = 450
        m.bytesWritten = 123_456
        m.clientsAccepted = 3
        m.slowClientsClosed = 1
        m.badClientMessages = 2
        m.httpRequests = 17
        m.everySecond(seconds: 1)
        m.updatesIn = 1600
        m.everySecond(seconds: 2)
        let text = Metrics.render(
            [Self.figures(m, clients: 2, subscriptions: 5)], symbols: 4,
            providers: [ProviderHealth(name: .ibkr, state: .ready, detail: nil, available: true)])
        let all = lines(text)
        for expected in [
            "tickhub_clients 2", "tickhub_subscriptions 5", "tickhub_symbols 4", "tickhub_updates_in_total 1600",
            "tickhub_updates_out_total 900", "tickhub_updates_conflated_total 300", "tickhub_frames_written_total 450",
            "tickhub_bytes_written_total 123456", "tickhub_clients_accepted_total 3",
            "tickhub_slow_clients_closed_total 1", "tickhub_bad_client_messages_total 2", "tickhub_http_requests_total 17",
            "tickhub_updates_in_per_second 200.0", "tickhub_updates_out_per_second 0.0",
            #"tickhub_provider_up{provider="ibkr",state="disconnected"} 0"#,
            #"tickhub_provider_up{provider="ibkr",state="ready"} 1"#,
        ] {
            #expect(all.contains(expected), "missing \(expected)")
        }
        #expect(text.contains("# HELP tickhub_clients Connected WebSocket clients.\n# TYPE tickhub_clients gauge\ntickhub_clients 2\n"))
        #expect(text.contains("# TYPE tickhub_updates_in_total counter\n"))
    }

    @Test func everySampleHasHelpAndTypeBeforeIt() {
        let text = Metrics.render([Self.figures(Metrics())], symbols: 0, providers: [ProviderHealth(name: .ibkr, state: .ready, detail: nil, available: true)])
        #expect(text.hasSuffix("\n"))
        var described: Set<String> = []
        for line in lines(text) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4 && ["counter", "gauge", "histogram"].contains(parts[3]), "\(line)")
                described.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let family = ["_bucket", "_sum", "_count"].reduce(name) { n, suffix in
                n.hasSuffix(suffix) && described.contains(String(n.dropLast(suffix.count))) ? String(n.dropLast(suffix.count)) : n
            }
            #expect(described.contains(family), "\(name) has no # TYPE line before it")
            #expect(Double(line.split(separator: " ").last!) != nil, "\(line)")
        }
    }

    @Test func theHubsFiguresAddUpEveryShardsButUpdatesInWhichEveryShardCountsWhole() {
        let first = Metrics(), second = Metrics()
        for m in [first, second] {
            m.updatesIn = 100  // every shard takes every update
            m.everySecond(seconds: 1)
        }
        first.updatesDelivered = 30
        second.updatesDelivered = 12
        first.clientsClosedForErrors = 1
        second.clientsClosedForErrors = 1
        first.observeLatency(200)
        second.observeLatency(2_000_000)
        let text = Metrics.render(
            [Self.figures(first, shard: 0, clients: 3, publishers: 1, subscriptions: 7),
             Self.figures(second, shard: 1, clients: 2, subscriptions: 4)],
            symbols: 9, providers: [])
        let all = lines(text)
        for expected in [
            "tickhub_clients 5", "tickhub_publishers 1", "tickhub_subscriptions 11", "tickhub_symbols 9",
            "tickhub_updates_in_total 100", "tickhub_updates_in_per_second 100.0", "tickhub_updates_out_total 42",
            "tickhub_clients_closed_for_errors_total 2", "tickhub_fanout_latency_seconds_count 2",
            #"tickhub_fanout_latency_seconds_bucket{le="0.00025"} 1"#, #"tickhub_fanout_latency_seconds_bucket{le="+Inf"} 2"#,
            #"tickhub_shard_clients{shard="0"} 3"#, #"tickhub_shard_clients{shard="1"} 2"#,
        ] {
            #expect(all.contains(expected), "missing \(expected)")
        }
    }

    @Test func everyCounterIsCombined() {
        // A counter added to the exposition but left out of the combination would read 0 on a hub of several shards.
        let m = Metrics()
        for counter in Metrics.counters { m[dynamicMember: counter.count] = 1 }
        let total = MetricCounts.combined([m.counts, m.counts])
        for counter in Metrics.counters where counter.count != \.updatesIn {
            #expect(total[keyPath: counter.count] == 2, "\(counter.name)")
        }
        #expect(total.updatesIn == 1)
    }
}
