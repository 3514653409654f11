/// What the Client Portal gateway says of itself and the pace the hub keeps with it, beside the IBKR status when
/// the transport is `clientportal` (IBKR allows 10 requests a second through the gateway, and answers more with a
/// 429 and a penalty box for the address).
public struct GatewaySessionStatus: Equatable, Sendable {
    /// From the gateway's auth status (`serverInfo`), once it has answered.
    public var serverName: String?
    public var serverVersion: String?
    /// Requests sent to the gateway in the last 10 seconds.
    public var requestsLast10s: Int
    /// 429s the gateway answered since the hub started.
    public var tooManyRequests: Int
    /// Milliseconds since the Unix epoch when the current penalty ends; nil outside one.
    public var penaltyUntil: Int64?

    public init(serverName: String? = nil, serverVersion: String? = nil, requestsLast10s: Int = 0, tooManyRequests: Int = 0,
                penaltyUntil: Int64? = nil) {
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.requestsLast10s = requestsLast10s
        self.tooManyRequests = tooManyRequests
        self.penaltyUntil = penaltyUntil
    }
}
