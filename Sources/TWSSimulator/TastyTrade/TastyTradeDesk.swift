import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TastyTrade

/// The simulated TastyTrade's state and REST answers: the OAuth grant and the tokens issued from it, the accounts,
/// the faults, and the account streamer and DXLink clients. It lives on the simulator's event loop, beside the
/// engine whose market prices its positions and feeds its DXLink, and is touched on that loop only.
final class TastyTradeDesk {
    struct Counters {
        var requests = 0
        var tokensIssued = 0
        /// Token requests refused: a wrong client, a wrong or revoked grant.
        var grantsRefused = 0
        /// Requests refused for want of a valid access token, or of a User-Agent.
        var unauthorized = 0
        var tooManyRequests = 0
        var notifications = 0
        var feedMessages = 0
        var fills = 0
    }

    let configuration: TastyTradeSimulatorConfiguration
    let engine: SimulatorEngine
    var logger: Logger { engine.logger }
    var counters = Counters()
    var accounts: [TastyTradeSimulatedAccount]

    /// Access tokens issued, with when each stops working.
    var accessTokens: [String: NIODeadline] = [:]
    var grantRevoked = false
    /// REST requests still to be answered 429 (the `tooManyRequests` fault).
    var refuseNext = 0
    /// Quote tokens issued and still honoured, with when each stops working.
    var quoteTokens: [String: NIODeadline] = [:]

    var streamers: [Int: AccountStreamerClient] = [:]
    var feeds: [Int: DXLinkClient] = [:]
    var nextClientID = 1

    var listener: Channel?
    var boundPort = 0
    var feedTask: RepeatedTask?
    var housekeepingTask: RepeatedTask?

    init(configuration: TastyTradeSimulatorConfiguration, engine: SimulatorEngine) {
        self.configuration = configuration
        self.engine = engine
        accounts = configuration.accounts
    }

    var loop: EventLoop { engine.loop }
    /// Milliseconds since the epoch on the simulated clock, as the TWS side stamps its wire.
    var nowMilliseconds: Int64 { Int64(engine.simulatedTime * 1000) }

    static func newToken(bytes: Int = 24) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// A time as TastyTrade writes it: `2026-12-02T16:00:00.000+00:00`.
    static func timestamp(milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'+00:00'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    // MARK: Requests

    /// nginx's page for a request without a User-Agent, as TastyTrade's edge answers it (HTML, not JSON).
    static let missingUserAgentPage = "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
        + "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> GatewayReply {
        GatewayReply(status: status, body: String(decoding: TastyAPIError(status: Int(status.code), code: code, message: message).json, as: UTF8.self))
    }

    func answer(_ request: SimulatorHTTPRequest) -> GatewayReply {
        counters.requests += 1
        let userAgent = request.headers["user-agent"].first ?? ""
        guard !userAgent.trimmingCharacters(in: .whitespaces).isEmpty else {
            counters.unauthorized += 1
            return GatewayReply(status: .unauthorized, body: Self.missingUserAgentPage, contentType: "text/html")
        }
        if refuseNext > 0 {
            refuseNext -= 1
            counters.tooManyRequests += 1
            // TastyTrade's 429 carries no rate-limit headers: nothing says when to try again.
            return Self.error(.tooManyRequests, "too_many_requests", "Too many requests")
        }
        var path = request.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if path == "/oauth/token" {
            guard request.method == .POST else { return Self.error(.methodNotAllowed, "method_not_allowed", "POST /oauth/token") }
            return issueToken(request)
        }
        if path == "/streamer" || path == "/dxlink" {
            return Self.error(.badRequest, "websocket_required", "\(path) takes a WebSocket upgrade")
        }
        guard authorized(request.headers["authorization"].first) else {
            counters.unauthorized += 1
            return Self.error(.unauthorized, "token_invalid", "This token is invalid or has expired")
        }
        let parts = path.split(separator: "/").map(String.init)
        switch (request.method, path) {
        case (.GET, "/customers/me/accounts"): return accountList()
        case (.GET, "/api-quote-tokens"): return issueQuoteToken()
        default: break
        }
        if request.method == .GET, parts.count >= 3, parts[0] == "accounts" {
            guard let index = accounts.firstIndex(where: { $0.accountNumber == parts[1] }) else {
                return Self.error(.notFound, "record_not_found", "Account \(parts[1]) not found")
            }
            switch parts[2] {
            case "positions" where parts.count == 3:
                let marks = ["true", "1"].contains(request.query["include-marks"] ?? "")
                return .ok(String(decoding: TastyPosition.listJSON(positions(of: accounts[index], marks: marks)), as: UTF8.self))
            case "balances" where parts.count == 3 || (parts.count == 4 && parts[3] == "USD"):
                return .ok(String(decoding: balance(of: accounts[index]).json, as: UTF8.self))
            default: break
            }
        }
        return Self.error(.notFound, "not_found", "\(request.method) \(path) is not served by this simulator")
    }

    // MARK: Tokens

    /// `Authorization: Bearer <access token>` with a token issued here and still alive.
    func authorized(_ header: String?) -> Bool {
        guard let header else { return false }
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
        guard let expiry = accessTokens[token] else { return false }
        return NIODeadline.now() < expiry
    }

    /// `POST /oauth/token`, JSON or form-encoded: the refresh-token grant checked against the demo credentials.
    private func issueToken(_ request: SimulatorHTTPRequest) -> GatewayReply {
        let fields = Self.fields(of: request)
        guard fields["grant_type"] == "refresh_token" else {
            counters.grantsRefused += 1
            return Self.error(.badRequest, "unsupported_grant_type", "grant_type must be refresh_token")
        }
        let clientIDMatches = fields["client_id"].map { $0 == configuration.clientID } ?? true
        guard clientIDMatches, fields["client_secret"] == configuration.clientSecret else {
            counters.grantsRefused += 1
            return Self.error(.unauthorized, "invalid_client", "Client authentication failed")
        }
        guard fields["refresh_token"] == configuration.refreshToken, !grantRevoked else {
            counters.grantsRefused += 1
            return Self.error(.unauthorized, "invalid_grant", grantRevoked
                ? "The grant was revoked: create a new personal grant at my.tastytrade.com"
                : "The refresh token is invalid")
        }
        let token = OAuthToken(accessToken: Self.newToken(), expiresIn: configuration.tokenSeconds)
        accessTokens[token.accessToken] = .now() + .nanoseconds(Int64(configuration.tokenSeconds * 1e9))
        counters.tokensIssued += 1
        return .ok(String(decoding: token.json, as: UTF8.self))
    }

    /// A token request's fields, from a JSON or a form body.
    static func fields(of request: SimulatorHTTPRequest) -> [String: String] {
        let body = request.body.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("{") {
            return (GatewayReply.object(from: body) ?? [:]).compactMapValues { $0 as? String }
        }
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    private func issueQuoteToken() -> GatewayReply {
        let token = DXLinkToken(
            token: Self.newToken(bytes: 32), url: "ws://\(configuration.host):\(boundPort)/dxlink", level: configuration.quoteLevel)
        quoteTokens[token.token] = .now() + .nanoseconds(Int64(configuration.quoteTokenSeconds * 1e9))
        return .ok(String(decoding: token.json, as: UTF8.self))
    }

    func quoteTokenValid(_ token: String) -> Bool {
        guard let expiry = quoteTokens[token] else { return false }
        return NIODeadline.now() < expiry
    }

    // MARK: Faults

    func inject(_ fault: TastyTradeFault) {
        logger.notice("injecting TastyTrade fault \(fault)")
        switch fault {
        case .expireTokens:
            let now = NIODeadline.now()
            for token in accessTokens.keys { accessTokens[token] = now }
        case .revokeGrant:
            grantRevoked = true
            accessTokens = [:]
        case .restoreGrant: grantRevoked = false
        case let .tooManyRequests(count): refuseNext += count
        case .dropStreamers: closeStreamers()
        case .dxLinkUnauthorized: refuseQuoteTokens()
        case .dropDXLink: closeFeeds()
        }
    }

    /// Once a second: streamers that went silent or whose token died, and DXLink sockets silent past their
    /// timeout, are closed; DXLink's own keepalives go out when due.
    func everySecond() {
        expireStreamers()
        keepFeedsAlive()
    }
}
