import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TastyTrade

/// TastyTrade's REST API over AsyncHTTPClient: the accounts, positions (with TastyTrade's marks) and balances the sync
/// needs, and the quote token DXLink opens with. Every request carries the `User-Agent` TastyTrade requires and a
/// Bearer token from the keeper; a 401 renews the token once and asks again, then reports.
///
/// Throws `TastyAPIError` for an answer with an error status (or none reached: status nil), `TokenKeeper.Failure`
/// when no token can be had, `TastyTradeFormatError` for an answer that cannot be read.
public final class TastyTradeAPI: Sendable {
    public let configuration: TastyTradeConfiguration
    public let tokens: TokenKeeper
    private let client: HTTPClient
    private let redactor: SecretRedactor
    private let logger: Logger
    /// Bodies beyond this are refused: TastyTrade's answers are far smaller.
    static let maximumBody = 8 << 20

    public init(configuration: TastyTradeConfiguration, credentials: TastyTradeCredentials, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        let redactor = SecretRedactor(credentials: credentials)
        self.redactor = redactor
        tokens = TokenKeeper(policy: .init(configuration)) { [client, logger] in
            try await Self.requestToken(
                credentials: credentials, configuration: configuration, client: client, redactor: redactor, logger: logger)
        }
    }

    /// The accounts the grant can see.
    public func accounts() async throws -> [TastyAccount] {
        try TastyAccount.list(json: await authorizedGET("/customers/me/accounts"))
    }

    /// The account's positions with TastyTrade's marks; items that could not be read are listed in `skipped`.
    public func positions(account: String) async throws -> TastyPositionList {
        try TastyPosition.list(json: await authorizedGET("/accounts/\(Self.pathSegment(account))/positions", query: "include-marks=true"))
    }

    public func balances(account: String) async throws -> TastyBalance {
        try TastyBalance(json: await authorizedGET("/accounts/\(Self.pathSegment(account))/balances"))
    }

    /// What opens a DXLink session (valid about a day).
    public func quoteToken() async throws -> DXLinkToken {
        try DXLinkToken(json: await authorizedGET("/api-quote-tokens"))
    }

    /// `POST /oauth/token` with the refresh-token grant; the answer is plain OAuth JSON. Used by the token keeper only,
    /// which decides when (and whether) to ask.
    static func requestToken(
        credentials: TastyTradeCredentials, configuration: TastyTradeConfiguration, client: HTTPClient,
        redactor: SecretRedactor, logger: Logger
    ) async throws -> OAuthToken {
        var fields = ["grant_type": "refresh_token", "refresh_token": credentials.refreshToken, "client_secret": credentials.clientSecret]
        if let clientID = credentials.clientID { fields["client_id"] = clientID }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(fields)
        let answer = try await send(
            .POST, configuration.baseURL + "/oauth/token", body: body, authorization: nil, configuration: configuration, client: client,
            redactor: redactor, logger: logger)
        guard answer.status == 200 else { throw error(answer, redactor: redactor) }
        return try OAuthToken(json: answer.body)
    }

    private func authorizedGET(_ path: String, query: String? = nil) async throws -> [UInt8] {
        let url = configuration.baseURL + path + (query.map { "?\($0)" } ?? "")
        var token = try await tokens.accessToken()
        var answer = try await get(url, token: token)
        if answer.status == 401 {
            // An access token can die before its time (revoked sessions, a clock off): one renewal, then report.
            await tokens.rejected(token)
            token = try await tokens.accessToken()
            answer = try await get(url, token: token)
        }
        guard (200..<300).contains(answer.status) else { throw Self.error(answer, redactor: redactor) }
        await tokens.accepted(token)
        return answer.body
    }

    private func get(_ url: String, token: OAuthToken) async throws -> Answer {
        try await Self.send(
            .GET, url, body: nil, authorization: token.authorization, configuration: configuration, client: client, redactor: redactor,
            logger: logger)
    }

    struct Answer {
        var status: Int
        var contentType: String?
        var body: [UInt8]
    }

    private static func send(
        _ method: HTTPMethod, _ url: String, body: Data?, authorization: String?, configuration: TastyTradeConfiguration,
        client: HTTPClient, redactor: SecretRedactor, logger: Logger
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        // The log names the path only: queries and bodies may one day carry what must not be written down.
        let path = URLComponents(string: url)?.path ?? "?"
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000)))
            let bytes = try await response.body.collect(upTo: maximumBody)
            logger.debug("TastyTrade \(method.rawValue) \(path): \(response.status.code)")
            return Answer(status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), body: Array(bytes.readableBytesView))
        } catch {
            throw TastyAPIError(status: nil, code: "unreachable", message: redactor.redact("\(method.rawValue) \(path) failed: \(error)"))
        }
    }

    /// The error an answer carries, or one naming its status and content type when it carries none (TastyTrade's
    /// nginx answers a missing User-Agent with an HTML page).
    private static func error(_ answer: Answer, redactor: SecretRedactor) -> TastyAPIError {
        if var error = TastyAPIError(json: answer.body, status: answer.status) {
            error.message = redactor.redact(error.message)
            error.details = error.details.map(redactor.redact)
            return error
        }
        let kind = answer.contentType.map { "a \($0) body" } ?? "no content type"
        return TastyAPIError(status: answer.status, code: "", message: "an answer with no JSON error (\(kind), \(answer.body.count) bytes)")
    }

    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Takes the grant's secrets out of text bound for logs, statuses and errors, should an answer ever echo them.
struct SecretRedactor: Sendable {
    private let secrets: [String]

    init(credentials: TastyTradeCredentials) {
        secrets = [credentials.clientSecret, credentials.refreshToken].filter { $0.count >= 4 }
    }

    func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }
}
