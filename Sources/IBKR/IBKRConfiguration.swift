import Configuration

/// How to reach TWS or IB Gateway and how to behave there. Defaults suit a local paper TWS.
public struct IBKRConfiguration: Sendable, Equatable {
    /// TWS's socket protocol (TWS or IB Gateway), or the Client Portal gateway's Web API.
    public var transport = IBKRTransportKind.tws
    /// The Client Portal gateway, when `transport` is `clientPortal`; its host and port are then `host` and `port`.
    public var clientPortal = ClientPortalSettings()
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
    /// IBKR's historical-data pacing, which every bar request waits its turn under (tests shrink the windows).
    public var historicalPacing = HistoricalPacer.Limits()
    /// A backfill not answered within this many seconds, its wait in the pacing queue included, fails, so that
    /// a chart falls back rather than hangs.
    public var historicalTimeoutSeconds = 30.0

    public init() {}

    /// Reads the `ibkr` section over the defaults and checks the result. The app maps `IBKR_HOST`, `IBKR_PORT`,
    /// `IBKR_CLIENT_ID` and `IBKR_ACCOUNT_ID` and the `--ibkr-*` flags onto the first four keys.
    public init(config: ConfigReader) throws {
        self.init()
        let transportName = config.string(forKey: "transport", default: transport.rawValue)
        guard let kind = IBKRTransportKind(rawValue: transportName.lowercased()) else {
            throw ConfigurationError.invalid(setting: "ibkr.transport", value: transportName)
        }
        transport = kind
        clientPortal = try ClientPortalSettings(config: config.scoped(to: ConfigKey("clientPortal")))
        let givenHost = config.string(forKey: "host")
        let givenPort = config.int(forKey: "port")
        if transport == .clientPortal, let gateway = ClientPortalSettings.gateway(clientPortal.baseURL) {
            // The gateway's URL names its host and port; the IBKR host and port, when given, still win, so the
            // flags that point at TWS point at the gateway too.
            host = gateway.host
            port = gateway.port
        }
        host = givenHost ?? host
        port = givenPort ?? port
        clientId = config.int(forKey: "clientId", default: clientId)
        accountId = config.string(forKey: "accountId", default: accountId)
        marketDataType = config.int(forKey: "marketDataType", default: marketDataType)
        lineBudget = config.int(forKey: "lineBudget", default: lineBudget)
        connectTimeoutSeconds = config.double(forKey: "connectTimeoutSeconds", default: connectTimeoutSeconds)
        pacingPerSecond = config.double(forKey: "pacingPerSecond", default: pacingPerSecond)
        reconnectInitialSeconds = config.double(forKey: "reconnectInitialSeconds", default: reconnectInitialSeconds)
        reconnectCapSeconds = config.double(forKey: "reconnectCapSeconds", default: reconnectCapSeconds)
        resumeCheckSeconds = config.double(forKey: "resumeCheckSeconds", default: resumeCheckSeconds)
        heartbeatIdleSeconds = config.double(forKey: "heartbeatIdleSeconds", default: heartbeatIdleSeconds)
        heartbeatTimeoutSeconds = config.double(forKey: "heartbeatTimeoutSeconds", default: heartbeatTimeoutSeconds)
        accountSummaryTags = config.stringArray(forKey: "accountSummaryTags", default: accountSummaryTags)
        autoConnect = config.bool(forKey: "autoConnect", default: autoConnect)
        historicalTimeoutSeconds = config.double(forKey: "historicalTimeoutSeconds", default: historicalTimeoutSeconds)
        try validate()
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case invalid(setting: String, value: String)
        case outOfRange(setting: String, value: String, range: String)
        public var description: String {
            switch self {
            case let .invalid(setting, value): "\(setting)=\"\(value)\" is not valid"
            case let .outOfRange(setting, value, range): "\(setting) is \(value); it must be \(range)"
            }
        }
    }

    /// Rejects values TWS could never accept, once every source has had its say: a port of 99999 must be an
    /// error, not wrap round to a port that happens to exist.
    public func validate() throws {
        if transport == .clientPortal { try clientPortal.validate() }
        guard (1...65535).contains(port) else { throw ConfigurationError.outOfRange(setting: "ibkr.port", value: "\(port)", range: "1–65535") }
        guard !host.isEmpty else { throw ConfigurationError.invalid(setting: "ibkr.host", value: host) }
        guard clientId >= 0 else { throw ConfigurationError.outOfRange(setting: "ibkr.clientId", value: "\(clientId)", range: "0 or more") }
        guard (1...4).contains(marketDataType) else {
            throw ConfigurationError.outOfRange(setting: "ibkr.marketDataType", value: "\(marketDataType)", range: "1–4")
        }
        guard heartbeatIdleSeconds >= 1, heartbeatTimeoutSeconds >= 1 else {
            throw ConfigurationError.outOfRange(setting: "ibkr.heartbeatIdleSeconds / heartbeatTimeoutSeconds",
                                                value: "\(heartbeatIdleSeconds) / \(heartbeatTimeoutSeconds)", range: "1 s or more")
        }
        guard lineBudget >= 1 else { throw ConfigurationError.outOfRange(setting: "ibkr.lineBudget", value: "\(lineBudget)", range: "1 or more") }
        guard historicalTimeoutSeconds > 0 else {
            throw ConfigurationError.outOfRange(setting: "ibkr.historicalTimeoutSeconds", value: "\(historicalTimeoutSeconds)", range: "above 0")
        }
        guard pacingPerSecond > 0, pacingPerSecond <= 50 else {
            throw ConfigurationError.outOfRange(setting: "ibkr.pacingPerSecond", value: "\(pacingPerSecond)", range: "above 0, at most 50 (TWS's limit)")
        }
    }
}
