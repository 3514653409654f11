import HubProtocol
import TickhubCore

/// The hub's HTTP API as one route table, into which each feature registers its own routes: market data, the P&L
/// view, connection control, health and metrics here, positions from the Portfolio module. A path with no route
/// for the method is a 405 whose `Allow` comes from the same table, so the two can never disagree.
package struct HubRouter: Sendable {
    /// How a route answers, on the fan-out thread, with the hub's state at hand; the remainder is what follows a
    /// prefix pattern (a symbol, a broker's name).
    package typealias Answer = @Sendable (FanoutHub, HTTPRequest, Substring) -> FanoutHub.Outcome

    package struct Route: Sendable {
        /// Names the route in tests and fuzzing.
        package let name: String
        package let answer: Answer
    }

    /// Every path answers OPTIONS (its methods, or a CORS preflight) without a route of its own.
    package private(set) var table = RouteTable<Route>(options: Route(name: "options", answer: CrossOrigin.answerOptions))

    package init() {}

    package mutating func add(_ name: String, _ methods: Set<HTTPRequest.Method>, _ pattern: RouteTable<Route>.Pattern,
                              _ answer: @escaping Answer) {
        table.add(methods, pattern, Route(name: name, answer: answer))
    }

    /// The routes the hub serves itself, whatever it is wired to.
    package static func hubRoutes() -> HubRouter {
        var routes = HubRouter()
        MarketDataRoutes.register(into: &routes)
        PnLRoutes.register(into: &routes)
        ConnectionRoutes.register(into: &routes)
        HealthRoutes.register(into: &routes)
        CompatibilityRoutes.register(into: &routes)
        return routes
    }

    /// Whether the request must present the access token (when one is set): the API, `/metrics` and `/health`, but
    /// not a publish (publishers have a token of their own, checked by `Publishers`) nor an OPTIONS request (a
    /// browser's preflight never carries credentials, and the answer is only the path's methods).
    static func needsToken(_ request: HTTPRequest) -> Bool {
        let path = request.path
        guard request.method != .options, path != "/api/market-data/publish" else { return false }
        return path.hasPrefix("/api/") || path == "/metrics" || path == "/health"
    }

    /// Paths the dashboard's files are served from: everything outside the API that the table does not name.
    static func isDashboardPath(_ path: String) -> Bool { !path.hasPrefix("/api/") }
}

/// A part of Tickhub outside the hub that serves HTTP routes of its own.
package protocol HubFeature: Sendable {
    func register(into routes: inout HubRouter)
}
