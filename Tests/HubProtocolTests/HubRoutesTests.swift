import Testing

@testable import HubProtocol

@Suite struct HubRoutesTests {
    func endpoint(_ method: HTTPRequest.Method, _ path: String) -> HubEndpoint? {
        if case let .found(endpoint, _) = HubRoutes.table.match(method, path) { return endpoint }
        return nil
    }

    func allow(_ method: HTTPRequest.Method, _ path: String) -> [HTTPRequest.Method]? {
        if case let .methodNotAllowed(allow) = HubRoutes.table.match(method, path) { return allow }
        return nil
    }

    @Test func everyDocumentedPathReachesItsEndpoint() {
        #expect(endpoint(.get, "/api/market-data/quotes") == .quotes)
        #expect(endpoint(.post, "/api/market-data/publish") == .publish)
        #expect(endpoint(.get, "/api/health") == .health)
        #expect(endpoint(.post, "/api/ibkr/connect") == .ibkrConnect)
        #expect(endpoint(.post, "/api/positions/import") == .positionsImport)
        #expect(endpoint(.delete, "/api/positions/17") == .portfolio)
        #expect(endpoint(.put, "/api/positions") == .portfolio)
        #expect(endpoint(.get, "/api/brokers") == .brokers)
        #expect(endpoint(.get, "/metrics") == .metrics)
    }

    @Test func aPrefixHandsOnWhatFollowsIt() {
        guard case let .found(endpoint, remainder) = HubRoutes.table.match(.get, "/api/market-data/quote/BRK.B") else {
            Issue.record("no match")
            return
        }
        #expect(endpoint == .quote)
        #expect(remainder == "BRK.B")
        guard case let .found(_, broker) = HubRoutes.table.match(.get, "/api/brokers/ibkr/positions") else {
            Issue.record("no match")
            return
        }
        #expect(broker == "ibkr/positions")
    }

    @Test func anExactPathWinsOverAPrefixThatCoversIt() {
        // /api/positions/import takes POST alone, although /api/positions/ takes every method.
        #expect(allow(.get, "/api/positions/import") == [.post])
    }

    @Test func aKnownPathWithAnotherMethodIs405WithItsMethods() {
        #expect(allow(.post, "/api/health") == [.get, .head])
        #expect(allow(.get, "/api/ibkr/disconnect") == [.post])
        #expect(allow(.delete, "/api/market-data/quote/AAPL") == [.get, .head])
        #expect(allow(.post, "/api/brokers/ibkr/positions") == [.get, .head])
    }

    @Test func anUnknownPathIsNotFound() {
        guard case .notFound = HubRoutes.table.match(.get, "/api/nothing") else {
            Issue.record("matched /api/nothing")
            return
        }
        guard case .notFound = HubRoutes.table.match(.post, "/api/healthz") else {
            Issue.record("matched /api/healthz")
            return
        }
    }

    @Test func controlCharactersInTheTargetAreRefused() {
        #expect(RequestTarget.problem(path: "/api/market-data/quote/A\u{1}B", query: [:]) != nil)
        #expect(RequestTarget.problem(path: "/api/health", query: ["x": "\u{7F}"]) != nil)
        #expect(RequestTarget.problem(path: "/api/health", query: ["symbols": "AAPL,%00"]) == nil)
        #expect(RequestTarget.problem(path: "/api/brokers/ibkr café/positions", query: [:]) == nil)
    }

    @Test func dashboardFilesArePlainNamesBelowTheFolder() {
        #expect(RequestTarget.dashboardFile("/") == "index.html")
        #expect(RequestTarget.dashboardFile("/app.js") == "app.js")
        #expect(RequestTarget.dashboardFile("//app.js") == "app.js")
        #expect(RequestTarget.dashboardFile("/js/chart.js") == "js/chart.js")
        for path in ["/../etc/passwd", "/.git/config", "/js/.hidden", "/a/../../b", "/a\u{0}b", "/a\\..\\b",
                     "/" + String(repeating: "a", count: 300)] {
            #expect(RequestTarget.dashboardFile(path) == nil, "\(path)")
        }
    }
}
