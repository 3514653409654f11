import Configuration

/// How to reach IBKR's Client Portal gateway (the `ibkr.clientPortal` section), used when `ibkr.transport` is
/// `clientportal`. The gateway is a local Java process serving HTTPS with a certificate of its own making.
public struct ClientPortalSettings: Sendable, Equatable {
    /// The gateway's root, `https://host:port` (IBKR's API lives under `/v1/api` there). `ibkr.host` and
    /// `ibkr.port`, when given, replace its host and port: `--ibkr-host localhost --ibkr-port 5000` reaches it too.
    public var baseURL = "https://localhost:5000"
    /// A PEM certificate file the gateway's certificate must be (pinned): needed for a gateway off this machine,
    /// whose self-made certificate no public authority signed. Empty: a loopback gateway's certificate is taken as
    /// it is, any other host's is verified in full.
    public var certificate = ""
    /// `POST /tickle` this often keeps the session alive; the gateway ends one left alone for about five minutes.
    public var tickleSeconds = 60.0
    /// Requests per second through the gateway in all; IBKR's limit is 10, and each endpoint's own budget applies
    /// beneath it.
    public var requestsPerSecond = 10.0
    /// How long to send nothing after a 429: IBKR puts the address in a penalty box for fifteen minutes (its pacing table; ten in some older pages).
    public var penaltySeconds = 900.0
    /// Positions, account values and P&L are read from the portfolio endpoints this often.
    public var portfolioSeconds = 15.0
    /// A WebSocket with no message (not even a heartbeat) for this long is taken as dead and replaced.
    public var streamSilenceSeconds = 30.0
    /// Each stream subscription's `smd` is sent again this often: IBKR ends WebSocket market data 10 minutes after
    /// its `smd` (changelog, April 2026), so a quote left alone would stop without a word.
    public var subscriptionRenewSeconds = 540.0

    public init() {}

    public init(config: ConfigReader) throws {
        self.init()
        baseURL = config.string(forKey: "baseURL", default: baseURL)
        certificate = config.string(forKey: "certificate", default: certificate)
        tickleSeconds = config.double(forKey: "tickleSeconds", default: tickleSeconds)
        requestsPerSecond = config.double(forKey: "requestsPerSecond", default: requestsPerSecond)
        penaltySeconds = config.double(forKey: "penaltySeconds", default: penaltySeconds)
        portfolioSeconds = config.double(forKey: "portfolioSeconds", default: portfolioSeconds)
        streamSilenceSeconds = config.double(forKey: "streamSilenceSeconds", default: streamSilenceSeconds)
        subscriptionRenewSeconds = config.double(forKey: "subscriptionRenewSeconds", default: subscriptionRenewSeconds)
        try validate()
    }

    /// `https://host[:port][/]`, read into its host and port; nil when it is not of that form.
    public static func gateway(_ url: String) -> (host: String, port: Int)? {
        let prefix = "https://"
        guard url.lowercased().hasPrefix(prefix) else { return nil }
        var rest = Substring(url.dropFirst(prefix.count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else { return nil }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            // An IPv6 literal: [::1]:5000.
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { return nil }
        guard let portText else { return (String(host), 443) }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    public func validate() throws {
        typealias Refusal = IBKRConfiguration.ConfigurationError
        guard Self.gateway(baseURL) != nil else {
            throw Refusal.invalid(setting: "ibkr.clientPortal.baseURL", value: baseURL)
        }
        guard tickleSeconds >= 1, tickleSeconds <= 240 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.tickleSeconds", value: "\(tickleSeconds)", range: "1–240 s (the gateway drops a session idle for about five minutes)")
        }
        guard requestsPerSecond > 0, requestsPerSecond <= 10 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.requestsPerSecond", value: "\(requestsPerSecond)", range: "above 0, at most 10 (IBKR's limit)")
        }
        guard penaltySeconds > 0 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.penaltySeconds", value: "\(penaltySeconds)", range: "above 0")
        }
        guard portfolioSeconds >= 5 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.portfolioSeconds", value: "\(portfolioSeconds)", range: "5 s or more (IBKR paces /portfolio/accounts at one per 5 s)")
        }
        guard streamSilenceSeconds >= 5 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.streamSilenceSeconds", value: "\(streamSilenceSeconds)", range: "5 s or more")
        }
        guard subscriptionRenewSeconds >= 1, subscriptionRenewSeconds < 600 else {
            throw Refusal.outOfRange(setting: "ibkr.clientPortal.subscriptionRenewSeconds", value: "\(subscriptionRenewSeconds)", range: "1 s up to, not including, 600 s (IBKR ends a subscription after 10 minutes)")
        }
    }
}
