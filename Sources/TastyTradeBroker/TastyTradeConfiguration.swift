import Configuration
import Foundation
import TickhubCore
import WebSocketClient

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
    public init(config: ConfigReader, version: String = "1.0") throws(InvalidSetting) {
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

    /// Refusals name the key within the section (`baseURL`), as every component's do; the app names the flag,
    /// variable or file key that gave the value.
    public func validate() throws(InvalidSetting) {
        try Self.check(url: baseURL, key: "baseURL", secure: "https", plain: "http")
        try Self.check(url: streamerURL, key: "streamerURL", secure: "wss", plain: "ws")
        let product = userAgent.split(separator: "/", omittingEmptySubsequences: false)
        guard product.count >= 2, !product[0].isEmpty, !product[1].isEmpty, !userAgent.contains(where: \.isNewline) else {
            throw InvalidSetting(key: "userAgent") { [userAgent] in "\($0)=\"\(userAgent)\" is not valid: TastyTrade wants product/version" }
        }
        try Self.require((2...60).contains(heartbeatSeconds), "heartbeatSeconds", heartbeatSeconds, "2–60 (the streamer's window)")
        try Self.require(fullRefreshSeconds >= 1, "fullRefreshSeconds", fullRefreshSeconds, "1 or more")
        try Self.require(tokenRefreshMarginSeconds >= 0 && tokenRefreshMarginSeconds < 600, "tokenRefreshMarginSeconds",
                         tokenRefreshMarginSeconds, "0 to under 600 (tokens live 900 s)")
        try Self.require(requestTimeoutSeconds > 0, "requestTimeoutSeconds", requestTimeoutSeconds, "above 0")
        try Self.require(reconnectInitialSeconds > 0, "reconnectInitialSeconds", reconnectInitialSeconds, "above 0")
        try Self.require(reconnectCapSeconds >= reconnectInitialSeconds, "reconnectCapSeconds", reconnectCapSeconds,
                         "at least reconnectInitialSeconds (\(reconnectInitialSeconds))")
        try Self.require(rateLimitBackoffSeconds > 0, "rateLimitBackoffSeconds", rateLimitBackoffSeconds, "above 0")
    }

    private static func require(_ holds: Bool, _ key: String, _ value: Double, _ range: String) throws(InvalidSetting) {
        guard !holds else { return }
        throw InvalidSetting(key: key) { "\($0) is \(value); it must be \(range)" }
    }

    private static func check(url: String, key: String, secure: String, plain: String) throws(InvalidSetting) {
        func refuse(_ why: String) -> InvalidSetting { InvalidSetting(key: key) { "\($0)=\"\(url)\" is not valid: \(why)" } }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else { throw refuse("not a URL with a host") }
        if scheme == secure { return }
        guard scheme == plain else { throw refuse("the scheme must be \(secure)") }
        guard LoopbackHost.matches(host) else { throw refuse("\(plain) is only for this machine; use \(secure)") }
    }

    /// Whether TastyTrade here is on this machine (a simulator): `--offline` leaves such a one on.
    public var isOnThisMachine: Bool {
        [baseURL, streamerURL].allSatisfy { URLComponents(string: $0)?.host.map(LoopbackHost.matches) ?? false }
    }
}
