import Configuration
import Foundation

/// Where TastyTrade is and how the sync behaves: the `tastytrade` section. Never credentials: those come from the
/// environment only (TastyTradeCredentials).
public struct TastyTradeConfiguration: Sendable, Equatable {
    /// REST: production `https://api.tastyworks.com`, sandbox `https://api.cert.tastyworks.com`.
    public var baseURL = "https://api.tastyworks.com"
    /// The account streamer: production `wss://streamer.tastyworks.com`, sandbox `wss://streamer.cert.tastyworks.com`.
    public var streamerURL = "wss://streamer.tastyworks.com"
    /// Account numbers to sync; empty means every open account the grant can see.
    public var accounts: [String] = []
    /// A full fetch of positions and balances this often heals whatever the streamer missed.
    public var fullRefreshSeconds = 300.0
    /// An access token is renewed this long before it expires, so no request goes out with a dead one.
    public var tokenRefreshMarginSeconds = 60.0
    /// The account streamer wants a heartbeat every 2–60 s.
    public var heartbeatSeconds = 20.0
    /// TastyTrade answers 401 (an HTML page) to requests without a `product/version` User-Agent.
    public var userAgent: String
    /// One REST request's whole time.
    public var requestTimeoutSeconds = 10.0
    /// Reconnecting the streamer (and retrying a failed fetch): the first wait, doubled up to the cap.
    public var reconnectInitialSeconds = 1.0
    public var reconnectCapSeconds = 60.0
    /// After a 429 nothing is asked for this long (doubled on each further 429, up to `reconnectCapSeconds` x 5):
    /// TastyTrade publishes no limits and blocks an address that keeps trying.
    public var rateLimitBackoffSeconds = 10.0

    public static func defaultUserAgent(version: String) -> String { "tickhub/\(version)" }

    public init(version: String = "1.0") {
        userAgent = Self.defaultUserAgent(version: version)
    }

    /// Reads the `tastytrade` section over the defaults and checks the result. The app maps `TASTYTRADE_BASE_URL`
    /// and `TASTYTRADE_STREAMER_URL` onto `baseURL` and `streamerURL`.
    public init(config: ConfigReader, version: String = "1.0") throws {
        self.init(version: version)
        baseURL = config.string(forKey: "baseURL", default: baseURL)
        streamerURL = config.string(forKey: "streamerURL", default: streamerURL)
        accounts = config.stringArray(forKey: "accounts", default: accounts)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        fullRefreshSeconds = config.double(forKey: "fullRefreshSeconds", default: fullRefreshSeconds)
        tokenRefreshMarginSeconds = config.double(forKey: "tokenRefreshMarginSeconds", default: tokenRefreshMarginSeconds)
        heartbeatSeconds = config.double(forKey: "heartbeatSeconds", default: heartbeatSeconds)
        userAgent = config.string(forKey: "userAgent", default: userAgent)
        requestTimeoutSeconds = config.double(forKey: "requestTimeoutSeconds", default: requestTimeoutSeconds)
        reconnectInitialSeconds = config.double(forKey: "reconnectInitialSeconds", default: reconnectInitialSeconds)
        reconnectCapSeconds = config.double(forKey: "reconnectCapSeconds", default: reconnectCapSeconds)
        rateLimitBackoffSeconds = config.double(forKey: "rateLimitBackoffSeconds", default: rateLimitBackoffSeconds)
        try validate()
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case invalid(setting: String, value: String, why: String)
        case outOfRange(setting: String, value: String, range: String)

        public var description: String {
            switch self {
            case let .invalid(setting, value, why): "\(setting)=\"\(value)\" is not valid: \(why)"
            case let .outOfRange(setting, value, range): "\(setting) is \(value); it must be \(range)"
            }
        }
    }

    /// Tokens travel in every request and every streamer message: plain `http`/`ws` is accepted only on this machine
    /// (the simulator), never across a network.
    public func validate() throws {
        try Self.check(url: baseURL, setting: "tastytrade.baseURL", secure: "https", plain: "http")
        try Self.check(url: streamerURL, setting: "tastytrade.streamerURL", secure: "wss", plain: "ws")
        let product = userAgent.split(separator: "/", omittingEmptySubsequences: false)
        guard product.count >= 2, !product[0].isEmpty, !product[1].isEmpty, !userAgent.contains(where: \.isNewline) else {
            throw ConfigurationError.invalid(setting: "tastytrade.userAgent", value: userAgent, why: "TastyTrade wants product/version")
        }
        guard (2...60).contains(heartbeatSeconds) else {
            throw ConfigurationError.outOfRange(setting: "tastytrade.heartbeatSeconds", value: "\(heartbeatSeconds)", range: "2–60 (the streamer's window)")
        }
        guard fullRefreshSeconds >= 1 else {
            throw ConfigurationError.outOfRange(setting: "tastytrade.fullRefreshSeconds", value: "\(fullRefreshSeconds)", range: "1 or more")
        }
        guard tokenRefreshMarginSeconds >= 0, tokenRefreshMarginSeconds < 600 else {
            throw ConfigurationError.outOfRange(
                setting: "tastytrade.tokenRefreshMarginSeconds", value: "\(tokenRefreshMarginSeconds)", range: "0 to under 600 (tokens live 900 s)")
        }
        guard requestTimeoutSeconds > 0 else {
            throw ConfigurationError.outOfRange(setting: "tastytrade.requestTimeoutSeconds", value: "\(requestTimeoutSeconds)", range: "above 0")
        }
        guard reconnectInitialSeconds > 0, reconnectCapSeconds >= reconnectInitialSeconds else {
            throw ConfigurationError.outOfRange(
                setting: "tastytrade.reconnectInitialSeconds / reconnectCapSeconds",
                value: "\(reconnectInitialSeconds) / \(reconnectCapSeconds)", range: "above 0, the cap at least the first")
        }
        guard rateLimitBackoffSeconds > 0 else {
            throw ConfigurationError.outOfRange(setting: "tastytrade.rateLimitBackoffSeconds", value: "\(rateLimitBackoffSeconds)", range: "above 0")
        }
    }

    private static func check(url: String, setting: String, secure: String, plain: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else { throw ConfigurationError.invalid(setting: setting, value: url, why: "not a URL with a host") }
        if scheme == secure { return }
        guard scheme == plain else {
            throw ConfigurationError.invalid(setting: setting, value: url, why: "the scheme must be \(secure)")
        }
        guard isLoopback(host) else {
            throw ConfigurationError.invalid(setting: setting, value: url, why: "\(plain) is only for this machine; use \(secure)")
        }
    }

    /// Whether TastyTrade here is on this machine (a simulator): `--offline` leaves such a one on.
    public var isOnThisMachine: Bool {
        [baseURL, streamerURL].allSatisfy { URLComponents(string: $0)?.host.map(Self.isLoopback) ?? false }
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: ["[", "]"])
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
