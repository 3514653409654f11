import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SimulatorTestSupport
import TWSSimulator
import TastyTrade

/// A simulator with its TastyTrade beside it on free loopback ports, and a plain HTTP client that speaks to it as
/// TastyTrade's clients do (User-Agent, Bearer tokens).
struct TastyTradeHarness {
    struct Response {
        var status: Int
        var body: String
        var contentType: String
        var bytes: [UInt8] { Array(body.utf8) }
    }

    let simulator: GatewaySimulator
    let tastyTrade: TastyTradeSimulator
    let port: Int
    let http: HTTPClient

    static let userAgent = "tickhub-tests/1.0"

    /// One request; `userAgent` nil sends none, `bearer` adds `Authorization: Bearer …`.
    func request(
        _ method: HTTPMethod, _ path: String, body: String = "", contentType: String = "application/json",
        bearer: String? = nil, userAgent: String? = TastyTradeHarness.userAgent
    ) async throws -> Response {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let userAgent { request.headers.add(name: "User-Agent", value: userAgent) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return Response(
            status: Int(response.status.code), body: String(buffer: bytes),
            contentType: response.headers["content-type"].first ?? "")
    }

    /// `POST /oauth/token` with the demo grant (or `refreshToken`), form-encoded.
    func grant(refreshToken: String = TastyTradeSimulatorConfiguration.demoRefreshToken) async throws -> Response {
        let form = "grant_type=refresh_token&refresh_token=\(refreshToken)"
            + "&client_id=\(TastyTradeSimulatorConfiguration.demoClientID)&client_secret=\(TastyTradeSimulatorConfiguration.demoClientSecret)"
        return try await request(.POST, "/oauth/token", body: form, contentType: "application/x-www-form-urlencoded")
    }

    /// A fresh access token from the demo grant.
    func accessToken() async throws -> String {
        let response = try await grant()
        guard response.status == 200 else { throw UnexpectedStatus(response: response) }
        return try OAuthToken(json: response.bytes).accessToken
    }

    func get(_ path: String, token: String) async throws -> Response {
        try await request(.GET, path, bearer: token)
    }

    /// A WebSocket at `/streamer` or `/dxlink`.
    func socket(_ path: String) async throws -> StreamTestClient {
        try await StreamTestClient.connect(port: port, path: path, tls: nil)
    }
}

struct UnexpectedStatus: Error, CustomStringConvertible {
    var response: TastyTradeHarness.Response
    var description: String { "HTTP \(response.status): \(response.body.prefix(300))" }
}

/// Runs `body` against a fresh simulator and simulated TastyTrade, always stopping both.
func withTastyTrade(
    _ configure: (inout TastyTradeSimulatorConfiguration) -> Void = { _ in },
    _ body: (TastyTradeHarness) async throws -> Void
) async throws {
    try await withSimulatedTastyTrade(slots: simulatorSlots, ticksPerSecond: 500, configure) { simulator, tastyTrade, port in
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = TastyTradeHarness(simulator: simulator, tastyTrade: tastyTrade, port: port, http: http)
        try await tearingDown({ try await http.shutdown() }) {
            try await body(harness)
        }
    }
}
