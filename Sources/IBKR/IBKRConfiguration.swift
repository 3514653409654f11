import Foundation

/// How to reach TWS or IB Gateway and how to behave there. Defaults suit a local paper TWS.
///
/// Resolution order: these defaults, then a config file's `ibkr` section, then the environment
/// (`IBKR_HOST`, `IBKR_PORT`, `IBKR_CLIENT_ID`, `IBKR_ACCOUNT_ID`), then command-line flags.
public struct IBKRConfiguration: Sendable, Equatable, Codable {
    public var host = "127.0.0.1"
    /// 7497 TWS paper, 7496 TWS live, 4002 IB Gateway paper, 4001 IB Gateway live.
    public var port = 7497
    public var clientId = 1
    /// The account for account updates and P&L; empty means the first managed account.
    public var accountId = ""
    /// 1 live, 2 frozen, 3 delayed, 4 delayed-frozen; sent with reqMarketDataType after connecting.
    public var marketDataType = 1
    /// Market-data lines Tickhub may use; symbols beyond it are reported over budget for a fallback to serve.
    public var lineBudget = 100
    public var connectTimeoutSeconds = 10.0
    /// Outgoing messages per second; TWS's limit is 50.
    public var pacingPerSecond = 45.0
    public var reconnectInitialSeconds = 0.25
    public var reconnectCapSeconds = 30.0
    /// After 1102 ("data maintained"), a stream silent for this long is resubscribed anyway.
    public var resumeCheckSeconds = 3.0
    /// Silence from TWS before asking it for the time, and how long it then has to answer before the
    /// connection counts as stalled and is replaced.
    public var heartbeatIdleSeconds = 10.0
    public var heartbeatTimeoutSeconds = 5.0
    /// Account-summary tags requested after connecting.
    public var accountSummaryTags = [
        "NetLiquidation", "TotalCashValue", "BuyingPower", "GrossPositionValue", "AvailableFunds",
        "ExcessLiquidity", "UnrealizedPnL", "RealizedPnL",
    ]
    /// Connect at start; false waits for a connect command.
    public var autoConnect = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case host, port, clientId, accountId, marketDataType, lineBudget, connectTimeoutSeconds, pacingPerSecond
        case reconnectInitialSeconds, reconnectCapSeconds, resumeCheckSeconds, accountSummaryTags, autoConnect
        case heartbeatIdleSeconds, heartbeatTimeoutSeconds
    }

    /// Reads every key that is present, keeping defaults for the rest.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = IBKRConfiguration()
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        clientId = try c.decodeIfPresent(Int.self, forKey: .clientId) ?? d.clientId
        accountId = try c.decodeIfPresent(String.self, forKey: .accountId) ?? d.accountId
        marketDataType = try c.decodeIfPresent(Int.self, forKey: .marketDataType) ?? d.marketDataType
        lineBudget = try c.decodeIfPresent(Int.self, forKey: .lineBudget) ?? d.lineBudget
        connectTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .connectTimeoutSeconds) ?? d.connectTimeoutSeconds
        pacingPerSecond = try c.decodeIfPresent(Double.self, forKey: .pacingPerSecond) ?? d.pacingPerSecond
        reconnectInitialSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectInitialSeconds) ?? d.reconnectInitialSeconds
        reconnectCapSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectCapSeconds) ?? d.reconnectCapSeconds
        resumeCheckSeconds = try c.decodeIfPresent(Double.self, forKey: .resumeCheckSeconds) ?? d.resumeCheckSeconds
        accountSummaryTags = try c.decodeIfPresent([String].self, forKey: .accountSummaryTags) ?? d.accountSummaryTags
        autoConnect = try c.decodeIfPresent(Bool.self, forKey: .autoConnect) ?? d.autoConnect
        heartbeatIdleSeconds = try c.decodeIfPresent(Double.self, forKey: .heartbeatIdleSeconds) ?? d.heartbeatIdleSeconds
        heartbeatTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .heartbeatTimeoutSeconds) ?? d.heartbeatTimeoutSeconds
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case invalid(variable: String, value: String)
        case outOfRange(setting: String, value: String, range: String)
        public var description: String {
            switch self {
            case let .invalid(variable, value): "\(variable)=\"\(value)\" is not valid"
            case let .outOfRange(setting, value, range): "\(setting) is \(value); it must be \(range)"
            }
        }
    }

    /// Rejects values TWS could never accept, after every layer is applied: a port of 99999 must be an error,
    /// not wrap round to a port that happens to exist.
    public func validate() throws {
        guard (1...65535).contains(port) else { throw ConfigurationError.outOfRange(setting: "ibkr.port", value: "\(port)", range: "1–65535") }
        guard !host.isEmpty else { throw ConfigurationError.invalid(variable: "ibkr.host", value: host) }
        guard clientId >= 0 else { throw ConfigurationError.outOfRange(setting: "ibkr.clientId", value: "\(clientId)", range: "0 or more") }
        guard (1...4).contains(marketDataType) else {
            throw ConfigurationError.outOfRange(setting: "ibkr.marketDataType", value: "\(marketDataType)", range: "1–4")
        }
        guard heartbeatIdleSeconds >= 1, heartbeatTimeoutSeconds >= 1 else {
            throw ConfigurationError.outOfRange(setting: "ibkr.heartbeatIdleSeconds / heartbeatTimeoutSeconds",
                                                value: "\(heartbeatIdleSeconds) / \(heartbeatTimeoutSeconds)", range: "1 s or more")
        }
        guard lineBudget >= 1 else { throw ConfigurationError.outOfRange(setting: "ibkr.lineBudget", value: "\(lineBudget)", range: "1 or more") }
        guard pacingPerSecond > 0, pacingPerSecond <= 50 else {
            throw ConfigurationError.outOfRange(setting: "ibkr.pacingPerSecond", value: "\(pacingPerSecond)", range: "above 0, at most 50 (TWS's limit)")
        }
    }

    /// Applies `IBKR_*` environment variables over this configuration.
    public func applyingEnvironment(_ environment: [String: String]) throws -> IBKRConfiguration {
        var c = self
        if let host = environment["IBKR_HOST"], !host.isEmpty { c.host = host }
        if let text = environment["IBKR_PORT"] {
            guard let port = Int(text), (1...65535).contains(port) else { throw ConfigurationError.invalid(variable: "IBKR_PORT", value: text) }
            c.port = port
        }
        if let text = environment["IBKR_CLIENT_ID"] {
            guard let id = Int(text) else { throw ConfigurationError.invalid(variable: "IBKR_CLIENT_ID", value: text) }
            c.clientId = id
        }
        if let account = environment["IBKR_ACCOUNT_ID"] { c.accountId = account }
        return c
    }
}
