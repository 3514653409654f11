import Foundation
import NIOPosix
import Testing
import TWSSimulator
import TastyTrade
import TickhubCore

/// The simulated TastyTrade's routes on the simulator's control port: fault paths parsed, and status, a fault and
/// fills over HTTP end to end.
@Suite("TastyTrade simulator control")
struct TastyTradeControlTests {
    @Test(arguments: [
        ("/tastytrade/fault/expire-tokens", [:], TastyTradeFault.expireTokens),
        ("/tastytrade/fault/revoke-grant", [:], .revokeGrant),
        ("/tastytrade/fault/restore-grant", [:], .restoreGrant),
        ("/tastytrade/fault/too-many-requests", [:], .tooManyRequests(count: 1)),
        ("/tastytrade/fault/too-many-requests", ["count": "5"], .tooManyRequests(count: 5)),
        ("/tastytrade/fault/drop-streamers", [:], .dropStreamers),
        ("/tastytrade/fault/dxlink-unauthorized", [:], .dxLinkUnauthorized),
        ("/tastytrade/fault/drop-dxlink", [:], .dropDXLink),
    ] as [(String, [String: String], TastyTradeFault)])
    func parsesFaultPaths(path: String, query: [String: String], fault: TastyTradeFault) {
        #expect(TastyTradeFault.parse(path: path, query: query) == fault)
    }

    @Test(arguments: [
        ("/tastytrade/fault/unknown", [:]), ("/tastytrade/fault/too-many-requests", ["count": "0"]),
        ("/tastytrade/fault/too-many-requests", ["count": "x"]), ("/fault/expire-tokens", [:]),
    ] as [(String, [String: String])])
    func unknownOrBadPathsAreNil(path: String, query: [String: String]) {
        #expect(TastyTradeFault.parse(path: path, query: query) == nil)
    }

    @Test func statusFaultsAndFillsOverHTTP() async throws {
        try await withTastyTrade { tt in
            let control = try await SimulatorControlServer.start(
                simulator: tt.simulator, tastyTrade: tt.tastyTrade, port: 0, group: MultiThreadedEventLoopGroup.singleton)
            defer { control.close(promise: nil) }
            let port = try #require(control.localAddress?.port)

            let status = try await HTTP.request("GET", "/tastytrade/status", port: port)
            #expect(status.status == 200, "\(status.body)")
            let decoded = try JSONDecoder().decode(TastyTradeSimulator.Status.self, from: Data(status.body.utf8))
            #expect(decoded.port == tt.port)
            #expect(decoded.accounts == ["5WT00001", "5WT00002"])

            let token = try await tt.accessToken()
            let injected = try await HTTP.request("POST", "/tastytrade/fault/expire-tokens", port: port)
            #expect(injected.status == 200, "\(injected.body)")
            #expect(try await tt.get("/customers/me/accounts", token: token).status == 401)
            #expect(try await HTTP.request("POST", "/tastytrade/fault/nonsense", port: port).status == 404)
            #expect(try await HTTP.request("GET", "/tastytrade/fault/revoke-grant", port: port).status == 405)

            let fill = try await HTTP.request(
                "POST", "/tastytrade/fill?account=5WT00001&symbol=SPY%20%20%20271217C00600000&quantity=-1&price=50.25", port: port)
            #expect(fill.status == 200, "\(fill.body)")
            let answer = try JSONValue.decode(Data(fill.body.utf8))
            let position = try TastyPosition(object: try #require(answer["position"]))
            #expect(position.symbol == "SPY   271217C00600000")
            #expect(position.quantity == 2)
            #expect(abs((position.realizedDayGain ?? 0) - (50.25 - 48.10) * 100) < 0.01)

            for bad in ["/tastytrade/fill?account=5WT00001&symbol=AAPL", "/tastytrade/fill?account=5WT00001&symbol=AAPL&quantity=1&price=-2",
                        "/tastytrade/fill?account=5WT00001&symbol=%2FCLF7&quantity=1&price=70"] {
                let refused = try await HTTP.request("POST", bad, port: port)
                #expect(refused.status == 400, "\(bad): \(refused.body)")
                #expect(refused.body.contains("\"error\""))
            }
            #expect(try await tt.tastyTrade.status().fills == 1)
        }
    }

    @Test func withoutATastyTradeItsRoutesSaySo() async throws {
        try await withSimulator { simulator, _ in
            let control = try await SimulatorControlServer.start(
                simulator: simulator, port: 0, group: MultiThreadedEventLoopGroup.singleton)
            defer { control.close(promise: nil) }
            let port = try #require(control.localAddress?.port)
            let status = try await HTTP.request("GET", "/tastytrade/status", port: port)
            #expect(status.status == 404)
            #expect(status.body.contains("--tastytrade-port"))
        }
    }
}
