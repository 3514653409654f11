/// The hub's HTTP API: each path it serves and the endpoint behind it (docs/openapi.yaml).
public enum HubEndpoint: Sendable, Hashable {
    case quote, quotes, publish, health
    case ibkrStatus, ibkrConnect, ibkrDisconnect
    /// Positions and the P&L history, which the portfolio routes by method itself.
    case portfolio, positionsImport
    case pnl, summary, allocation, brokers, broker
    case streamUpgrade, metrics, openAPI
}

public enum HubRoutes {
    public static let quotePrefix = "/api/market-data/quote/"
    public static let brokerPrefix = "/api/brokers/"

    public static let table: RouteTable<HubEndpoint> = {
        var table = RouteTable<HubEndpoint>()
        table.add([.get], .prefix(quotePrefix), .quote)
        table.add([.get], .exact("/api/market-data/quotes"), .quotes)
        table.add([.post], .exact("/api/market-data/publish"), .publish)
        table.add([.get], .exact("/api/health"), .health)
        table.add([.get], .exact("/api/ibkr/status"), .ibkrStatus)
        table.add([.post], .exact("/api/ibkr/connect"), .ibkrConnect)
        table.add([.post], .exact("/api/ibkr/disconnect"), .ibkrDisconnect)
        table.add(RouteTable<HubEndpoint>.anyMethod, .exact("/api/positions"), .portfolio)
        table.add(RouteTable<HubEndpoint>.anyMethod, .prefix("/api/positions/"), .portfolio)
        table.add(RouteTable<HubEndpoint>.anyMethod, .exact("/api/portfolio/history"), .portfolio)
        table.add([.post], .exact("/api/positions/import"), .positionsImport)
        table.add([.get], .exact("/api/portfolio/pnl"), .pnl)
        table.add([.get], .exact("/api/portfolio/summary"), .summary)
        table.add([.get], .exact("/api/portfolio/allocation"), .allocation)
        table.add([.get], .exact("/api/brokers"), .brokers)
        table.add([.get], .prefix(brokerPrefix), .broker)
        table.add([.get], .exact("/stream"), .streamUpgrade)
        table.add([.get], .exact("/metrics"), .metrics)
        table.add([.get], .exact("/api/openapi.yaml"), .openAPI)
        return table
    }()

    /// Paths the dashboard's files are served from: everything outside the API that the table does not name.
    public static func isDashboardPath(_ path: String) -> Bool { !path.hasPrefix("/api/") }
}
