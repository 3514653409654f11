import Foundation
import Prometheus
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub
@testable import TickhubMetrics

/// `/metrics` as Prometheus reads it: the text parsed back into families, every name and label checked against the
/// format's rules and the naming conventions, and counters that only grow from one scrape to the next.
@Suite("Metrics")
struct MetricsTests {
    /// The hub holds its host unowned: the test keeps it.
    let host = FakeHost()
    let time = ManualClock()

    // MARK: The fan-out latency histogram

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

    static func figures(_ m: Metrics, shard: Int = 0, clients: Int = 0, publishers: Int = 0, subscriptions: Int = 0) -> ShardFigures {
        ShardFigures(shard: shard, clients: clients, publishers: publishers, subscriptions: subscriptions, counts: m.counts)
    }

    @Test func renderHistogramIsCumulative() throws {
        let m = Metrics()
        for micros: Int64 in [50, 100, 200, 700, 700, 30_000, 2_000_000] { m.observeLatency(micros) }
        let text = Metrics.render([Self.figures(m)], market: MarketGauges())
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix("tickhub_fanout_latency_seconds_bucket") }
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
            #"tickhub_fanout_latency_seconds_bucket{le="1"} 6"#,
            #"tickhub_fanout_latency_seconds_bucket{le="+Inf"} 7"#,
        ])
        let parsed = try Exposition(text)
        #expect(parsed.value("tickhub_fanout_latency_seconds_count") == 7)
        #expect(parsed.value("tickhub_fanout_latency_seconds_sum") == 2.03175)
        #expect(parsed.families["tickhub_fanout_latency_seconds"]?.type == "histogram")
    }

    // MARK: Names, types, HELP, labels

    @Test func everyFamilyFollowsTheFormatAndTheNamingConventions() async throws {
        let (hub, _) = busyHub()
        let parsed = try Exposition(try #require(hub.handle(get("/metrics"), exchange: 1, connection: FakeConnection())).text)
        #expect(parsed.families.count > 30)
        for (name, family) in parsed.families {
            #expect(name.wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*/) != nil, "\(name): not a valid metric name")
            #expect(!family.help.isEmpty, "\(name) has no HELP")
            #expect(["counter", "gauge", "histogram"].contains(family.type), "\(name): \(family.type)")
            #expect(!name.contains("per_second"), "\(name): a rate is for rate() to work out from a counter")
            #expect(family.type == "counter" ? name.hasSuffix("_total") : !name.hasSuffix("_total"), "\(name) is a \(family.type)")
            // Base units: seconds and bytes, never milli- or microseconds, kilo- or megabytes.
            #expect(name.firstMatch(of: /_(ms|millis|milliseconds|micros|microseconds|us|kb|kib|mb|mib)(_|$)/) == nil, "\(name)")
            // A family of labelled series may have none yet (no request answered before the first scrape); a plain one
            // always has its one.
            #expect(!family.samples.isEmpty || name == "tickhub_http_requests_total", "\(name) has no sample")
            for sample in family.samples {
                for label in sample.labels.keys {
                    #expect(label.wholeMatch(of: /[a-zA-Z_][a-zA-Z0-9_]*/) != nil && !label.hasPrefix("__"), "\(name): label \(label)")
                }
            }
            let series = family.samples.map { "\($0.name)\($0.labels.sorted { $0.key < $1.key })" }
            #expect(Set(series).count == series.count, "\(name) repeats a series")
        }
        for process in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                        "process_open_fds", "process_max_fds", "process_start_time_seconds"] {
            #expect(parsed.families[process] != nil, "missing \(process)")
        }
        #expect(try #require(parsed.value("process_resident_memory_bytes")) > 1_000_000)
        #expect(try #require(parsed.value("process_start_time_seconds")) > 1_600_000_000)
    }

    @Test func everyProviderHasExactlyOneStateOfTheSet() throws {
        var market = MarketGauges()
        market.providers = [
            ProviderHealth(name: .ibkr, state: .reconnecting, available: false),
            ProviderHealth(name: .yahoo, state: .ready, available: true),
            ProviderHealth(name: .alphaVantage, state: .rateLimited, until: 1, available: false),
        ]
        let parsed = try Exposition(Metrics.render([Self.figures(Metrics())], market: market))
        let states = try #require(parsed.families["tickhub_provider_state"])
        #expect(states.type == "gauge")
        for report in market.providers {
            let mine = states.samples.filter { $0.labels["provider"] == report.name.rawValue }
            #expect(mine.count == ProviderState.allCases.count)
            #expect(mine.filter { $0.value == 1 }.map { $0.labels["state"] } == [report.state.rawValue])
            #expect(mine.allSatisfy { $0.value == 0 || $0.value == 1 })
            #expect(parsed.value("tickhub_provider_available", ["provider": report.name.rawValue]) == (report.available ? 1 : 0))
        }
    }

    @Test func labelValuesAndHelpAreEscapedAsTheFormatSays() throws {
        var out = PrometheusExposition()
        let odd = #"a "quoted" back\slash and a"# + "\nline feed"
        out.family("tickhub_test", .gauge, "Help with a back\\slash and a\nline feed.", [([("value", odd)], 0.25)])
        #expect(out.text.contains(#"tickhub_test{value="a \"quoted\" back\\slash and a\nline feed"} 0.25"#))
        #expect(out.text.contains(#"# HELP tickhub_test Help with a back\\slash and a\nline feed."#))
        let parsed = try Exposition(out.text)
        #expect(parsed.families["tickhub_test"]?.samples.first?.labels["value"] == odd)
        #expect(PrometheusExposition.number(3) == "3" && PrometheusExposition.number(0.001) == "0.001")
        #expect(PrometheusExposition.number(.infinity) == "+Inf")
    }

    // MARK: Counting across two scrapes

    @Test func countersOnlyGrowAndTheOnesThatCountedDid() throws {
        let (hub, quote) = busyHub()
        let connection = FakeConnection()
        let first = try Exposition(try #require(hub.handle(get("/metrics"), exchange: 1, connection: connection)).text)
        for step in 1...3 {
            hub.publish(quote(Double(step)), receivedAt: Timestamp(microseconds: 2_000 + Int64(step)))
            hub.flushWrites()  // one at a time: a client that took them all at once would get one, conflated
        }
        _ = hub.handle(get("/api/market-data/quote/AAPL"), exchange: 2, connection: connection)
        let second = try Exposition(try #require(hub.handle(get("/metrics"), exchange: 3, connection: connection)).text)

        for (name, family) in first.families where ["counter", "histogram"].contains(family.type) {
            for sample in family.samples {
                let later = try #require(second.value(sample.name, sample.labels), "\(sample.name)\(sample.labels) went away")
                #expect(later >= sample.value, "\(name)\(sample.labels) went down: \(sample.value) to \(later)")
            }
        }
        #expect(second.value("tickhub_updates_out_total")! == first.value("tickhub_updates_out_total")! + 3)
        #expect(second.value("tickhub_updates_in_total")! == first.value("tickhub_updates_in_total")! + 3)
        #expect(second.value("tickhub_http_requests_total", ["route": "metrics", "status": "200"]) == 1 + (first.value(
            "tickhub_http_requests_total", ["route": "metrics", "status": "200"]) ?? 0))
        #expect(second.value("tickhub_http_requests_total", ["route": "quote", "status": "200"]) == 1)
    }

    @Test func requestsCountByRouteAndStatusAndUnknownPathsShareOneLabel() throws {
        let (hub, _) = busyHub()
        let connection = FakeConnection()
        for (id, path) in ["/api/no-such-1", "/api/no-such-2", "/api/\(UUID())"].enumerated() {
            #expect(hub.handle(get(path), exchange: 10 + id, connection: connection)?.status == 404)
        }
        // A known path with a method it does not take counts under its own route.
        #expect(hub.handle(HTTPRequest(method: .post, path: "/metrics", headers: ["host": "127.0.0.1:8080"]), exchange: 20,
                           connection: connection)?.status == 405)
        // An answer worked out later is counted when it comes, with its own status.
        #expect(hub.handle(get("/api/market-data/quote/NOSUCH"), exchange: 21, connection: connection) == nil)
        time.advance(seconds: hub.configuration.firstQuoteWaitSeconds + 1)
        hub.housekeeping(secondElapsed: false)
        let parsed = try Exposition(try #require(hub.handle(get("/metrics"), exchange: 30, connection: connection)).text)
        let requests = try #require(parsed.families["tickhub_http_requests_total"]).samples
        #expect(requests.filter { $0.labels["route"] == "unmatched" }.map(\.value) == [3])
        #expect(parsed.value("tickhub_http_requests_total", ["route": "unmatched", "status": "404"]) == 3)
        #expect(parsed.value("tickhub_http_requests_total", ["route": "metrics", "status": "405"]) == 1)
        let quoteAnswers = requests.filter { $0.labels["route"] == "quote" }
        #expect(quoteAnswers.count == 1 && quoteAnswers.first?.labels["status"] == "503", "\(quoteAnswers)")
        #expect(Set(requests.compactMap { $0.labels["route"] }) == ["unmatched", "metrics", "quote"])
    }

    @Test func slowClosesCountByCloseCodeAndShowZeroBeforeTheFirst() throws {
        let m = Metrics()
        var parsed = try Exposition(Metrics.render([Self.figures(m)], market: MarketGauges()))
        #expect(parsed.value("tickhub_slow_clients_closed_total", ["code": "1013"]) == 0)
        m.countSlowClose(code: 1013)
        m.countSlowClose(code: 1013)
        let other = Metrics()
        other.countSlowClose(code: 1013)
        parsed = try Exposition(Metrics.render([Self.figures(m), Self.figures(other, shard: 1)], market: MarketGauges()))
        #expect(parsed.value("tickhub_slow_clients_closed_total", ["code": "1013"]) == 3)
    }

    @Test func theHubsFiguresAddUpEveryShardsButUpdatesInWhichEveryShardCountsWhole() throws {
        let first = Metrics(), second = Metrics()
        for m in [first, second] { m.updatesIn = 100 }  // every shard takes every update
        first.updatesDelivered = 30
        second.updatesDelivered = 12
        first.clientsClosedForErrors = 1
        second.clientsClosedForErrors = 1
        first.countRequest(route: "health", status: 200)
        second.countRequest(route: "health", status: 200)
        second.countRequest(route: "health", status: 503)
        first.observeLatency(200)
        second.observeLatency(2_000_000)
        var market = MarketGauges()
        market.symbols = 9
        let parsed = try Exposition(Metrics.render(
            [Self.figures(first, shard: 0, clients: 3, publishers: 1, subscriptions: 7),
             Self.figures(second, shard: 1, clients: 2, subscriptions: 4)], market: market))
        let expected: [(String, [String: String], Double)] = [
            ("tickhub_clients", [:], 5), ("tickhub_publishers", [:], 1), ("tickhub_subscriptions", [:], 11),
            ("tickhub_symbols", [:], 9), ("tickhub_updates_in_total", [:], 100), ("tickhub_updates_out_total", [:], 42),
            ("tickhub_clients_closed_for_errors_total", [:], 2), ("tickhub_fanout_latency_seconds_count", [:], 2),
            ("tickhub_fanout_latency_seconds_bucket", ["le": "0.00025"], 1), ("tickhub_fanout_latency_seconds_bucket", ["le": "+Inf"], 2),
            ("tickhub_shard_clients", ["shard": "0"], 3), ("tickhub_shard_clients", ["shard": "1"], 2),
            ("tickhub_http_requests_total", ["route": "health", "status": "200"], 2),
            ("tickhub_http_requests_total", ["route": "health", "status": "503"], 1),
        ]
        for (name, labels, value) in expected {
            #expect(parsed.value(name, labels) == value, "\(name)\(labels)")
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

    @Test func theMarketGaugesCountStaleSymbolsAndTheOldestLiveQuote() throws {
        let (hub, quote) = busyHub()
        var old = quote(1)
        old.symbol = "MSFT"
        old.timestamp = hub.clock.nowMicros() / 1_000 - 90_000
        hub.publish(old, receivedAt: Timestamp(microseconds: 5))
        var stale = quote(1)
        stale.symbol = "IBM"
        stale.stale = true
        stale.timestamp = hub.clock.nowMicros() / 1_000 - 900_000
        hub.publish(stale, receivedAt: Timestamp(microseconds: 6))
        let client = hub.open(FakeConnection(), publisher: false)
        hub.receive(Array(#"{"op":"subscribe","symbols":["MSFT","IBM"]}"#.utf8), from: client)
        let gauges = hub.marketGauges()
        #expect(gauges.staleSymbols == 1)
        #expect(gauges.oldestLiveQuoteAgeSeconds == 90, "the stale quote, older still, is not presented as live")
        #expect(gauges.followed == 3)
    }

    // MARK: The process's registry (swift-metrics through swift-prometheus)

    @Test func swiftMetricsCountersGetTheirHelpFromTheCatalog() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = CatalogMetricsFactory(registry: registry)
        factory.makeCounter(label: MetricCatalog.failovers, dimensions: [("from", "ibkr"), ("to", "yahoo")]).increment(by: 2)
        factory.makeCounter(label: MetricCatalog.ibkrReconnects, dimensions: []).increment(by: 1)
        let parsed = try Exposition(registry.emitToString())
        #expect(parsed.families[MetricCatalog.failovers]?.help == MetricCatalog.help[MetricCatalog.failovers])
        #expect(parsed.families[MetricCatalog.failovers]?.type == "counter")
        #expect(parsed.value(MetricCatalog.failovers, ["from": "ibkr", "to": "yahoo"]) == 2)
        #expect(parsed.value(MetricCatalog.ibkrReconnects) == 1)
        // Counters: Prometheus' convention wants their names to say so; and a gauge's name must not.
        #expect(MetricCatalog.help.keys.filter { !MetricCatalog.gauges.contains($0) }.allSatisfy { $0.hasSuffix("_total") })
        #expect(MetricCatalog.gauges.allSatisfy { !$0.hasSuffix("_total") && MetricCatalog.help[$0] != nil })
    }

    @Test func processFiguresReadProcsStatEvenWithACommandNameOfSpacesAndParentheses() throws {
        let stat = "4242 (tick (hub) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 5 0 12345 "
            + "2634518528 13910 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0"
        let machine = "cpu  1 2 3\nintr 5\nbtime 1796550000\nprocesses 9\n"
        let figures = try #require(ProcessFigures.parse(stat: stat, machineStat: machine, ticksPerSecond: 100, pageSize: 4096))
        #expect(figures.cpuSeconds == 3)  // (250 + 50) ticks
        #expect(figures.startTimeSeconds == 1_796_550_123.45)
        #expect(figures.virtualBytes == 2_634_518_528)
        #expect(figures.residentBytes == 13_910 * 4_096)
        #expect(ProcessFigures.parse(stat: "4242 (truncated", machineStat: machine, ticksPerSecond: 100, pageSize: 4096) == nil)
        #expect(ProcessFigures.parse(stat: stat, machineStat: "cpu 1\n", ticksPerSecond: 100, pageSize: 4096) == nil)
        let now = try #require(ProcessFigures.current())
        #expect(now.openFileDescriptors ?? 0 >= 3 && now.residentBytes > 0)
    }

    // MARK: Helpers

    func get(_ path: String) -> HTTPRequest { HTTPRequest(method: .get, path: path, headers: ["host": "127.0.0.1:8080"]) }

    /// A hub with a subscriber to AAPL, an IBKR link reporting, and a quote of AAPL delivered.
    func busyHub() -> (FanoutHub, (Double) -> Quote) {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let now = hub.clock.nowMicros() / 1_000
        let quote = { (bid: Double) in
            var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: now)
            quote.bid = bid
            quote.ask = bid + 0.1
            return quote
        }
        hub.setBrokerStatus(BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 7497, clientId: 1, linesInUse: 1, lineBudget: 100))
        let client = hub.open(FakeConnection(), publisher: false)
        hub.receive(Array(#"{"op":"subscribe","symbols":["AAPL"]}"#.utf8), from: client)
        hub.publish(quote(100), receivedAt: Timestamp(microseconds: 1_000))
        hub.flushWrites()
        return (hub, quote)
    }
}

/// The Prometheus text format read back, strictly: every sample belongs to a family announced by `# HELP` and
/// `# TYPE` before it, at most one of each per family, and every value is a number.
struct Exposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Family {
        var help = ""
        var type = ""
        var samples: [Sample] = []
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var families: [String: Family] = [:]

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw Malformed(description: "the text does not end with a line feed") }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count >= 3 else { throw Malformed(description: "bad comment: \(line)") }
                let name = String(parts[2]), rest = parts.count > 3 ? String(parts[3]) : ""
                var family = families[name] ?? Family()
                if parts[1] == "HELP" {
                    guard family.help.isEmpty, family.samples.isEmpty else { throw Malformed(description: "second HELP or late HELP: \(line)") }
                    family.help = rest
                } else {
                    guard family.type.isEmpty, family.samples.isEmpty else { throw Malformed(description: "second TYPE or late TYPE: \(line)") }
                    family.type = rest
                }
                families[name] = family
                continue
            }
            guard !line.isEmpty, !line.hasPrefix("#") else { throw Malformed(description: "unexpected line: \(line)") }
            let sample = try Self.sample(String(line))
            let family = families.keys.first { name in
                sample.name == name || (families[name]?.type == "histogram" && ["_bucket", "_sum", "_count"].contains { sample.name == name + $0 })
            }
            guard let family, !(families[family]?.type.isEmpty ?? true) else { throw Malformed(description: "\(sample.name) has no TYPE before it") }
            families[family]!.samples.append(sample)
        }
    }

    /// `name{label="value",...} number`, with the format's escapes in label values.
    static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw Malformed(description: "bad label in \(line)") }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw Malformed(description: "unterminated label value in \(line)") }
                rest = rest.dropFirst()
                guard labels.updateValue(value, forKey: label) == nil else { throw Malformed(description: "label twice in \(line)") }
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw Malformed(description: "no value in \(line)") }
        let text = rest.dropFirst()
        let value: Double? = text == "+Inf" ? .infinity : Double(text)
        guard let value else { throw Malformed(description: "not a number in \(line)") }
        return Sample(name: name, labels: labels, value: value)
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        families.values.lazy.flatMap(\.samples).first { $0.name == name && $0.labels == labels }?.value
    }
}
