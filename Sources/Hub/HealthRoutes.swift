import HubProtocol
import TickhubCore

/// `/api/health`, `/metrics` and the OpenAPI document: what an operator or a monitor asks of the hub itself.
enum HealthRoutes {
    static func register(into routes: inout HubRouter) {
        routes.add("health", [.get], .exact("/api/health")) { hub, _, _ in .respond(.json(200, hub.health())) }
        routes.add("metrics", [.get], .exact("/metrics")) { hub, _, _ in
            let text = hub.metrics.render(
                clients: hub.clients.subscriberCount, publishers: hub.clients.publisherCount,
                subscriptions: hub.clients.subscriptionCount, symbols: hub.market.book.count, providers: hub.providerReports())
            return .respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Array(text.utf8)))
        }
        routes.add("openapi", [.get], .exact("/api/openapi.yaml")) { hub, _, _ in
            .respond(hub.host.file("openapi.yaml", in: hub.configuration.docsDirectory))
        }
    }
}

extension FanoutHub {
    /// Every provider's health; without a provider manager, the broker link's alone.
    func providerReports() -> [ProviderHealth] {
        guard providerHealth.isEmpty else { return providerHealth }
        let state = brokerStatus?.state
        return [ProviderHealth(name: .ibkr, state: state.map(ProviderState.init) ?? .unknown, detail: brokerStatus?.lastError,
                               available: state == .ready)]
    }

    func health() -> [UInt8] {
        let state = brokerStatus?.state
        let anyProviderUp = providerHealth.contains(where: \.available)
        // A quote someone wants that no provider keeps live is a problem whatever the connection says, and so is a
        // database that no longer takes writes.
        let staleQuotes = interest.followed.keys.filter { market.book[$0]?.quote.stale == true }.count
        var overall = state == .ready ? "ok" : (anyProviderUp || market.book.count > 0 ? "degraded" : "down")
        if overall == "ok", staleQuotes > 0 || databaseProblem != nil { overall = "degraded" }
        var w = JSONWriter()
        w.beginObject()
        w.field("status", overall)
        w.field("staleQuotes", staleQuotes)
        w.key("database")
        w.beginObject()
        w.field("ok", databaseProblem == nil)
        w.field("detail", databaseProblem)
        w.endObject()
        w.field("uptimeSeconds", (clock.nowMicros() - startedAt) / 1_000_000)
        w.field("clients", clients.subscriberCount)
        w.field("publishers", clients.publisherCount)
        w.field("subscriptions", clients.subscriptionCount)
        w.field("symbols", interest.followed.count)
        w.field("quotes", market.book.count)
        w.key("providers")
        w.beginArray()
        for report in providerReports() {
            w.beginObject()
            w.field("name", report.name.rawValue)
            w.field("state", report.state.rawValue)
            w.field("available", report.available)
            w.field("detail", report.detail)
            w.field("until", report.until)
            w.field("servingSymbols", market.book.entries.values.filter { $0.quote.source == report.name && !$0.quote.stale }.count)
            w.endObject()
        }
        w.endArray()
        w.key("sources")
        w.beginObject()
        for symbol in interest.followed.keys.sorted() { w.field(symbol, market.source(of: symbol)?.rawValue) }
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
