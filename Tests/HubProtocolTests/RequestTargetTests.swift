import Testing

@testable import HubProtocol

@Suite struct RequestTargetTests {
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
