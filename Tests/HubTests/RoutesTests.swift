import Foundation
import HubProtocol
import HubTestSupport
import Testing
import TickhubCore

@testable import Hub

/// The route table as the hub builds it: each feature's routes, 405s from the table itself, 404s.
@Suite struct RoutesTests {
    let host = FakeHost()
    let time = ManualClock()

    func request(_ method: HTTPRequest.Method, _ path: String, query: [String: String] = [:]) -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: query, headers: ["host": "127.0.0.1:8080"])
    }

    func route(_ method: HTTPRequest.Method, _ path: String, in routes: HubRouter = .hubRoutes()) -> (String, Substring)? {
        if case let .found(route, remainder) = routes.table.match(method, path) { return (route.name, remainder) }
        return nil
    }

    @Test func everyFeatureOfTheHubRegistersItsPaths() {
        #expect(route(.get, "/api/market-data/quotes")?.0 == "quotes")
        #expect(route(.post, "/api/market-data/publish")?.0 == "publish")
        #expect(route(.get, "/api/health")?.0 == "health")
        #expect(route(.post, "/api/ibkr/connect")?.0 == "ibkr-connect")
        #expect(route(.get, "/api/portfolio/pnl")?.0 == "pnl")
        #expect(route(.get, "/api/brokers")?.0 == "brokers")
        #expect(route(.get, "/metrics")?.0 == "metrics")
        #expect(route(.head, "/api/health")?.0 == "health", "GET brings HEAD")
        #expect(route(.options, "/api/ibkr/connect")?.0 == "options", "every path answers OPTIONS")
        #expect(route(.get, "/health")?.0 == "health-broker")
        #expect(route(.get, "/api/trading/ibkr/status")?.0 == "trading-ibkr-status")
        #expect(route(.post, "/api/brokers/ibkr/connect")?.0 == "broker-connect")
        // Positions are not the hub's: without the Portfolio feature they are not found.
        #expect(route(.get, "/api/positions") == nil)
    }

    @Test func aPrefixHandsOnWhatFollowsIt() {
        #expect(route(.get, "/api/market-data/quote/BRK.B").map { String($0.1) } == "BRK.B")
        #expect(route(.get, "/api/brokers/ibkr/positions").map { String($0.1) } == "ibkr/positions")
    }

    @Test func aKnownPathWithAnotherMethodIs405FromTheTable() async {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        for (method, path, allow) in [(HTTPRequest.Method.post, "/api/health", "GET, HEAD, OPTIONS"), (.get, "/api/ibkr/disconnect", "POST, OPTIONS"),
                                      (.delete, "/api/market-data/quote/AAPL", "GET, HEAD, OPTIONS")] {
            let response = await hub.answer(request(method, path))
            #expect(response?.status == 405, "\(method) \(path)")
            #expect(response?.header["allow"] == allow, "\(method) \(path)")
        }
    }

    @Test func anUnknownAPIPathIs404() async {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let response = await hub.answer(request(.get, "/api/nothing"))
        #expect(response?.status == 404)
        #expect(response?.text.contains("not_found") == true)
    }

    @Test func aFeatureRouteIsAnsweredAndItsMethodsMakeThe405() async {
        struct Echo: HubFeature {
            func register(into routes: inout HubRouter) {
                routes.add("echo", [.put], .prefix("/api/echo/")) { _, _, rest in .async { .json(200, Array("\"\(rest)\"".utf8)) } }
            }
        }
        let hub = FanoutHub.forTesting(host: host, clock: time, features: [Echo()])
        #expect(await hub.answer(request(.put, "/api/echo/abc"))?.text == "\"abc\"")
        let refused = await hub.answer(request(.get, "/api/echo/abc"))
        #expect(refused?.status == 405 && refused?.header["allow"] == "PUT, OPTIONS")
    }

    @Test func withoutABrokerLinkTheIBKRRoutesSaySo() async {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let response = await hub.answer(request(.get, "/api/ibkr/status"))
        #expect(response?.status == 503)
        #expect(response?.text.contains("ibkr_disabled") == true)
    }
}
