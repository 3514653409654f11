import HubProtocol
import TickhubCore
import TickhubMetrics

/// `/api/health`, `/metrics` and the OpenAPI document: what an operator or a monitor asks of the hub itself. Both
/// count the whole hub, whichever shard the request landed on: every shard's clients and counters, the symbols the
/// hub as a whole follows.
enum HealthRoutes {
    static func register(into routes: inout HubRouter) {
        routes.add("health", [.get], .exact("/api/health")) { hub, _, _ in
            let report = hub.healthReport()
            return hub.acrossShards { .json(200, report.body($0)) }
        }
        routes.add("metrics", [.get], .exact("/metrics")) { hub, _, _ in
            let market = hub.marketGauges()
            return hub.acrossShards { shards in
                let text = Metrics.render(shards, market: market, process: ProcessMetrics.exposition())
                return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Array(text.utf8))
            }
        }
        routes.add("openapi", [.get], .exact("/api/openapi.yaml")) { hub, _, _ in
            .respond(hub.host.file("openapi.yaml", in: hub.configuration.docsDirectory))
        }
    }
}

extension FanoutHub {
    /// An answer that counts every shard: this one's figures now, the others' as each shard gives them on its own
    /// thread. Only what `answer` captures crosses threads, so it takes values, never the hub.
    func acrossShards(_ answer: @escaping @Sendable ([ShardFigures]) -> HTTPResponse) -> Outcome {
        let mine = figures
        guard place.count > 1 else { return .respond(answer([mine])) }
        let host = host
        return .async { answer([mine] + (await host.otherShards())) }
    }

    /// Every provider's health; without a provider manager, the broker link's alone.
    func providerReports() -> [ProviderHealth] {
        guard providerHealth.isEmpty else { return providerHealth }
        let state = brokerStatus?.state
        return [ProviderHealth(name: .ibkr, state: state.map(ProviderState.init) ?? .unknown, detail: brokerStatus?.lastError,
                               available: state == .ready)]
    }

    func healthReport() -> HealthReport {
        let state = brokerStatus?.state
        let anyProviderUp = providerHealth.contains(where: \.available)
        let followed = interest.union.followed
        // A quote someone wants that no provider keeps live is a problem whatever the connection says, and so is a
        // database that no longer takes writes.
        let staleQuotes = followed.filter { market.book[$0]?.quote.stale == true }.count
        var overall = state == .ready ? "ok" : (anyProviderUp || market.book.count > 0 ? "degraded" : "down")
        // A synced broker in error shows positions that may be out of date.
        let brokers = pnl.sync.keys.sorted().compactMap { pnl.sync[$0] }
        if overall == "ok", staleQuotes > 0 || databaseProblem != nil || brokers.contains(where: { $0.state == .error }) {
            overall = "degraded"
        }
        return HealthReport(
            status: overall, staleQuotes: staleQuotes, databaseProblem: databaseProblem,
            uptimeSeconds: (clock.nowMicros() - startedAt) / 1_000_000, symbols: followed.count, quotes: market.book.count,
            providers: providerReports().map { report in
                (report, market.book.entries.values.filter { $0.quote.source == report.name && !$0.quote.stale }.count)
            },
            sources: followed.sorted().map { ($0, market.source(of: $0)?.rawValue) },
            broker: brokerStatus, brokers: brokers, scaleOut: scaleOut)
    }
}

/// `/api/health` as one shard knows it (every shard has the same market and providers' state), waiting for the
/// shards' client counts.
struct HealthReport: Sendable {
    let status: String
    let staleQuotes: Int
    let databaseProblem: String?
    let uptimeSeconds: Int64
    /// Symbols the hub follows upstream, and symbols it has a quote for.
    let symbols: Int
    let quotes: Int
    let providers: [(report: ProviderHealth, servingSymbols: Int)]
    let sources: [(symbol: String, source: String?)]
    /// IBKR's link as last reported: which transport, and over the Client Portal the gateway's name and version.
    let broker: BrokerConnectionStatus?
    /// The synced brokers' states (TastyTrade's).
    var brokers: [BrokerSyncStatus] = []
    /// An ingest's or an edge's part in a scaled-out Tickhub; nil for the one process.
    var scaleOut: (any ScaleOutHealth)?

    func body(_ shards: [ShardFigures]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("status", status)
        w.field("staleQuotes", staleQuotes)
        w.key("database")
        w.beginObject()
        w.field("ok", databaseProblem == nil)
        w.field("detail", databaseProblem)
        w.endObject()
        w.field("uptimeSeconds", uptimeSeconds)
        w.field("clients", shards.reduce(0) { $0 + $1.clients })
        w.field("publishers", shards.reduce(0) { $0 + $1.publishers })
        w.field("subscriptions", shards.reduce(0) { $0 + $1.subscriptions })
        w.field("symbols", symbols)
        w.field("quotes", quotes)
        w.key("shards")
        w.beginArray()
        for shard in shards.sorted(by: { $0.shard < $1.shard }) {
            w.beginObject()
            w.field("clients", shard.clients)
            w.field("publishers", shard.publishers)
            w.field("subscriptions", shard.subscriptions)
            w.endObject()
        }
        w.endArray()
        w.key("providers")
        w.beginArray()
        for (report, servingSymbols) in providers {
            w.beginObject()
            w.field("name", report.name.rawValue)
            w.field("state", report.state.rawValue)
            w.field("available", report.available)
            w.field("detail", report.detail)
            w.field("until", report.until)
            w.field("servingSymbols", servingSymbols)
            w.endObject()
        }
        w.endArray()
        w.key("sources")
        w.beginObject()
        for (symbol, source) in sources { w.field(symbol, source) }
        w.endObject()
        if let broker {
            // Only what does not go out of date between the link's reports: the pacing figures are in
            // /api/ibkr/status, read when asked.
            w.key("ibkr")
            w.beginObject()
            w.field("transport", broker.transport)
            if let gateway = broker.gateway {
                w.field("serverName", gateway.serverName)
                w.field("serverVersion", gateway.serverVersion)
            }
            w.endObject()
        }
        w.key("brokers")
        w.beginArray()
        for status in brokers { BrokerSyncJSON.write(status, into: &w) }
        w.endArray()
        if let scaleOut {
            w.key("scaleOut")
            w.beginObject()
            scaleOut.writeHealth(into: &w)
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }
}
