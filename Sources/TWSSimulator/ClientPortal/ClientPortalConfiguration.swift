import Foundation

/// How the simulated Client Portal Gateway behaves. Defaults follow IBKR's gateway: pacing of 10 requests a second
/// with per-endpoint budgets, a 10-minute penalty box, 24-hour brokerage sessions, a heartbeat every 10 seconds.
public struct ClientPortalConfiguration: Sendable {
    /// One request budget: at most `requests` in any `seconds` window.
    public struct Budget: Sendable, Equatable {
        public var requests: Int
        public var seconds: Double

        public init(requests: Int, seconds: Double) {
            self.requests = requests
            self.seconds = seconds
        }
    }

    public var host = "127.0.0.1"
    /// 0 picks a free port; IBKR's gateway listens on 5000.
    public var port = 5000
    /// Requests a second through the whole gateway before HTTP 429; 0 turns pacing (and the penalty box) off.
    public var requestsPerSecond = 10
    /// IBKR's per-endpoint limits, by path under /v1/api.
    public var endpointBudgets: [String: Budget] = [
        "/iserver/marketdata/snapshot": Budget(requests: 10, seconds: 1),
        "/tickle": Budget(requests: 1, seconds: 1),
        "/portfolio/accounts": Budget(requests: 1, seconds: 5),
        "/iserver/account/pnl/partitioned": Budget(requests: 1, seconds: 5),
    ]
    /// History requests answered at once (IBKR: 5); one more meanwhile gets 429.
    public var historyConcurrency = 5
    /// How long a history answer takes, so that concurrent requests overlap as at IBKR.
    public var historyLatencyMilliseconds = 50
    /// How long a client that broke a limit gets nothing but 429.
    public var penaltySeconds = 600.0
    /// A brokerage session's life from its opening; then it ends as at IBKR's daily reset.
    public var sessionSeconds = 86_400.0
    /// Seconds without any request after which the session times out; 0 keeps it however quiet the client is.
    public var idleTimeoutSeconds = 0.0
    /// Seconds between `system` heartbeats on every WebSocket.
    public var heartbeatSeconds = 10.0
    /// How long an `smd` subscription streams before the gateway ends it: IBKR's changelog (April 2026) says
    /// WebSocket market data stops after 10 minutes unless `smd` is sent again. 0 streams for good.
    public var subscriptionSeconds = 600.0
    /// How often streamed market data goes out: each subscription gets the fields changed since its last update.
    public var streamIntervalMilliseconds = 100
    /// Where the generated certificate's PEM is written at start, for clients to trust; nil writes nothing.
    public var certificateOutputPath: String?
    /// The gateway's user name, as `system` and `sts` messages report it.
    public var userName = "tickhubsim"

    public init() {}
}
