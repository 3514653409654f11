/// The link to a broker's gateway (IBKR's TWS or IB Gateway today), as the API and the dashboard show it: a
/// domain value the broker's provider reports and the hub serves, so neither depends on the other.

/// Why a connected session's data cannot be trusted right now.
public enum DegradedReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// 1100: TWS lost its link to IBKR.
    case linkLost
    /// 2103 and friends: a market-data farm is down.
    case farmBroken
    /// 10197: a competing live session took the data.
    case competingSession
}

/// The connection's state as the API and the dashboard show it.
public enum BrokerConnectionState: Equatable, Sendable {
    case disconnected
    case connecting
    case ready
    case degraded(Set<DegradedReason>)
    case reconnecting(attempt: Int, delaySeconds: Double)

    public var name: String {
        switch self {
        case .disconnected: "disconnected"
        case .connecting: "connecting"
        case .ready: "ready"
        case .degraded: "degraded"
        case .reconnecting: "reconnecting"
        }
    }

    /// True when quotes from this connection are fresh.
    public var isLive: Bool { self == .ready }
}

/// What the API and the dashboard show about the broker connection.
public struct BrokerConnectionStatus: Equatable, Sendable {
    public var state: BrokerConnectionState
    public var host: String
    public var port: Int
    public var clientId: Int
    public var serverVersion: Int?
    /// Milliseconds since the Unix epoch when the current connection became ready.
    public var connectedSince: Int64?
    public var lastError: String?
    public var accounts: [String]
    public var linesInUse: Int
    public var lineBudget: Int
    public var messagesInPerSecond: Double
    public var messagesOutPerSecond: Double
    /// Frames whose message id the codec does not model; skipped.
    public var unknownMessages: Int
    public var connections: Int
    /// How the broker is reached: for IBKR `tws` (TWS or IB Gateway's socket protocol) or `clientportal` (the
    /// Client Portal gateway's Web API).
    public var transport: String
    /// The Client Portal gateway's name, version and pacing; nil over TWS.
    public var gateway: GatewaySessionStatus?

    public init(
        state: BrokerConnectionState, host: String, port: Int, clientId: Int, serverVersion: Int? = nil,
        connectedSince: Int64? = nil, lastError: String? = nil, accounts: [String] = [], linesInUse: Int = 0,
        lineBudget: Int = 0, messagesInPerSecond: Double = 0, messagesOutPerSecond: Double = 0, unknownMessages: Int = 0,
        connections: Int = 0, transport: String = "tws"
    ) {
        self.state = state
        self.host = host
        self.port = port
        self.clientId = clientId
        self.serverVersion = serverVersion
        self.connectedSince = connectedSince
        self.lastError = lastError
        self.accounts = accounts
        self.linesInUse = linesInUse
        self.lineBudget = lineBudget
        self.messagesInPerSecond = messagesInPerSecond
        self.messagesOutPerSecond = messagesOutPerSecond
        self.unknownMessages = unknownMessages
        self.connections = connections
        self.transport = transport
    }
}
