import Foundation
import HubProtocol
import TickhubCore

/// The paths the users' dashboards already call, from the webhook server and trading API Tickhub replaces. Each is
/// an alias answered by the route it stands for (looked up in the same table, so the two cannot drift apart), or,
/// where the old API had a shape of its own (`/health`'s `broker`, the IBKR account, the combined P&L, a broker's
/// connect), made from the same state the hub's own routes read.
enum CompatibilityRoutes {
    static func register(into routes: inout HubRouter) {
        for (name, method, path, target) in aliases {
            routes.add(name, [method], .exact(path)) { hub, request, _ in forward(hub, request, to: target) }
        }
        routes.add("health-broker", [.get], .exact("/health")) { hub, _, _ in
            let report = hub.healthReport(), control = hub.connectionControl, now = hub.clock.nowMicros()
            return .async { brokerHealthBody(report, await control?.status(), now: now) }
        }
        routes.add("trading-ibkr-account", [.get], .exact("/api/trading/ibkr/account")) { hub, _, _ in
            guard let balances = hub.pnl.balances["ibkr"] ?? (hub.connectionControl != nil ? [] : nil) else {
                return .respond(.error(503, code: "ibkr_disabled", "this hub runs without an IBKR connection"))
            }
            return .respond(.json(200, accountBody(balances)))
        }
        routes.add("combined-pnl", [.get], .exact("/api/portfolio/combined/pnl")) { hub, _, _ in
            .respond(.json(200, combinedTotalsBody(hub.pnl.valuations(hub.market), unvalued: hub.pnl.unvaluedList, now: hub.clock.nowMicros())))
        }
        routes.add("broker-connect", [.post], .segment(before: PnLRoutes.brokerPrefix, after: "/connect")) { hub, request, remainder in
            brokerConnect(hub, request, broker: String(remainder.dropLast("/connect".count)))
        }
    }

    /// Old path, method, and the hub's own path that answers it.
    static let aliases: [(name: String, method: HTTPRequest.Method, path: String, target: String)] = [
        ("trading-ibkr-status", .get, "/api/trading/ibkr/status", "/api/ibkr/status"),
        ("trading-ibkr-connect", .post, "/api/trading/ibkr/connect", "/api/ibkr/connect"),
        ("trading-ibkr-disconnect", .post, "/api/trading/ibkr/disconnect", "/api/ibkr/disconnect"),
        ("trading-ibkr-positions", .get, "/api/trading/ibkr/positions", PnLRoutes.brokerPrefix + "ibkr/positions"),
        ("trading-portfolio-summary", .get, "/api/trading/portfolio/summary", "/api/portfolio/summary"),
        ("portfolio-combined", .get, "/api/portfolio/combined", "/api/portfolio/pnl"),
    ]

    /// The request as if it had asked for `target`: the same route answers it, with the same remainder.
    static func forward(_ hub: FanoutHub, _ request: HTTPRequest, to target: String) -> FanoutHub.Outcome {
        guard case let .found(route, remainder) = hub.routes.table.match(request.method, target) else {
            return .respond(.error(404, code: "not_found", "no such endpoint: \(quoted(request.path))"))
        }
        var forwarded = request
        forwarded.path = target
        return route.answer(hub, forwarded, remainder)
    }

    /// IBKR is connected through `/api/ibkr/connect`; a broker whose positions the database keeps has no link to
    /// make, which is said rather than pretended.
    static func brokerConnect(_ hub: FanoutHub, _ request: HTTPRequest, broker: String) -> FanoutHub.Outcome {
        if broker == "ibkr" { return forward(hub, request, to: "/api/ibkr/connect") }
        if let sync = hub.pnl.sync[broker] {
            return .respond(.error(409, code: "not_connectable",
                "broker \(quoted(broker, limit: 40)) is synced from its API on its own (now \(sync.state.rawValue)): nothing to connect; its state is in /api/brokers"))
        }
        guard hub.pnl.holdings[broker] != nil || hub.pnl.balances[broker] != nil else {
            return .respond(.error(404, code: "unknown_broker", "no broker \(quoted(broker, limit: 40))"))
        }
        return .respond(.error(409, code: "not_connectable",
            "broker \(quoted(broker, limit: 40)) has no connection to make: its positions are kept in the hub's database (entered or imported from CSV); only ibkr connects"))
    }

    /// `/health` as the webhook server answered it: `status`, and the broker link as `{connected, host, port,
    /// clientId}` (plus its `state`); `connected` while a session is up, degraded or not.
    static func brokerHealthBody(_ report: HealthReport, _ broker: BrokerConnectionStatus?, now: Int64) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.field("status", report.status)
        w.key("broker")
        w.beginObject()
        let connected = switch broker?.state {
        case .ready, .degraded: true
        default: false
        }
        w.field("connected", connected)
        w.field("state", broker?.state.name ?? "disabled")
        w.field("host", broker?.host)
        w.field("port", broker.map { Int64($0.port) })
        w.field("clientId", broker.map { Int64($0.clientId) })
        w.field("connectedSince", broker?.connectedSince)
        w.endObject()
        w.field("staleQuotes", report.staleQuotes)
        w.field("databaseOk", report.databaseProblem == nil)
        w.field("uptimeSeconds", report.uptimeSeconds)
        w.field("timestamp", now / 1_000)
        w.endObject()
        return .json(200, w.bytes)
    }

    /// IBKR's account-summary tags under the names the old API used, as IBKR reports them.
    static let accountFields: [(tag: String, field: String)] = [
        ("NetLiquidation", "netLiquidation"), ("TotalCashValue", "cash"), ("BuyingPower", "buyingPower"),
        ("AvailableFunds", "availableFunds"), ("ExcessLiquidity", "excessLiquidity"),
        ("GrossPositionValue", "grossPositionValue"), ("UnrealizedPnL", "unrealizedPnl"), ("RealizedPnL", "realizedPnl"),
    ]

    /// `{"currency", <fields>…, "accounts": [{"account", "currency", <fields>…}]}`: each account's figures in its own
    /// (base) currency, the currency its `NetLiquidation` comes in, rounded to its minor unit; the top level sums
    /// them when every account has the same currency, and is null otherwise (amounts in different currencies do not
    /// add up).
    static func accountBody(_ balances: [AccountBalance]) -> [UInt8] {
        let byAccount = Dictionary(grouping: balances, by: \.account)
        let accounts: [(account: String, currency: String?, values: [String: Double])] = byAccount.keys.sorted().map { account in
            let rows = byAccount[account]!
            let currency = rows.first { $0.tag == "NetLiquidation" && !$0.currency.isEmpty && $0.currency != "BASE" }?.currency
            var values: [String: Double] = [:]
            for (tag, field) in accountFields {
                values[field] = rows.first { $0.tag == tag && $0.currency == currency }.flatMap { Double($0.value) }
            }
            return (account, currency, values)
        }
        let currencies = Set(accounts.map(\.currency))
        let shared = currencies.count == 1 ? currencies.first! : nil
        func money(_ field: String, _ value: Double?, _ currency: String?, into w: inout JSONWriter) {
            w.field(field, value, decimals: CurrencyMinorUnit.decimals(currency ?? "USD"))
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("currency", shared)
        for (_, field) in accountFields {
            let values = accounts.compactMap { $0.values[field] }
            money(field, shared != nil && !values.isEmpty && values.count == accounts.count ? values.reduce(0, +) : nil, shared, into: &w)
        }
        w.key("accounts")
        w.beginArray()
        for account in accounts {
            w.beginObject()
            w.field("account", account.account)
            w.field("currency", account.currency)
            for (_, field) in accountFields { money(field, account.values[field], account.currency, into: &w) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `/api/portfolio/pnl`'s totals without its positions: the whole and each broker's.
    static func combinedTotalsBody(_ valuations: [PositionValuation], unvalued: [UnvaluedHolding], now: Int64) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("t", now)
        PnLView.writeTotals(of: valuations, unvalued: unvalued, byAccount: false, into: &w)
        w.endObject()
        return w.bytes
    }
}
