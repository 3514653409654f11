import HubProtocol
import TickhubCore

/// `/api/portfolio/{pnl,summary,allocation}` and `/api/brokers*`: the P&L view, valued on the fan-out thread where
/// the quotes are. Positions themselves (`/api/positions*`, the history) are the Portfolio module's routes.
enum PnLRoutes {
    static let brokerPrefix = "/api/brokers/"

    static func register(into routes: inout HubRouter) {
        routes.add("pnl", [.get], .exact("/api/portfolio/pnl")) { hub, _, _ in
            .respond(.json(200, hub.pnl.body(hub.market, now: hub.clock.nowMicros())))
        }
        routes.add("summary", [.get], .exact("/api/portfolio/summary")) { hub, _, _ in .respond(.json(200, hub.pnl.summaryBody(hub.market))) }
        routes.add("allocation", [.get], .exact("/api/portfolio/allocation")) { hub, _, _ in
            .respond(.json(200, hub.pnl.allocationBody(hub.market)))
        }
        routes.add("brokers", [.get], .exact("/api/brokers")) { hub, _, _ in .respond(.json(200, hub.pnl.brokersBody())) }
        routes.add("broker", [.get], .prefix(brokerPrefix)) { hub, request, remainder in
            let parts = remainder.split(separator: "/").map(String.init)
            guard parts.count == 2 else { return .respond(.error(404, code: "not_found", "no such endpoint: \(quoted(request.path))")) }
            let body = switch parts[1] {
            case "positions": hub.pnl.brokerPositionsBody(parts[0], hub.market, now: hub.clock.now())
            case "balances": hub.pnl.brokerBalancesBody(parts[0])
            default: [UInt8]?.none
            }
            guard let body else {
                return .respond(.error(404, code: "unknown_broker", "no broker \(quoted(parts[0], limit: 40)) with \(quoted(parts[1], limit: 20))"))
            }
            return .respond(.json(200, body))
        }
    }
}
