/// The server's limits and listening address. Defaults in one place, documented in config/tickhub.example.json.
public struct ServerConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required when listening on anything but loopback; checked on WebSocket upgrade and every /api call.
    public var token: String?
    /// `TICKHUB_PUBLISH_TOKEN`: publishers present it on `/publish` and `POST /api/market-data/publish`;
    /// without it publishing is refused.
    public var publishToken: String?
    /// A publisher's message may be this large: arrays of thousands of quotes are normal for a feed.
    public var maxPublishBytes = 1 << 20
    /// Browser origins allowed to open /stream; empty allows any (the token still applies).
    public var allowedOrigins: [String] = []
    public var maxSymbolsPerClient = 1_000
    /// Incoming WebSocket messages above this close the connection with 1009.
    public var maxMessageBytes = 64 * 1024
    /// A client that has not taken a write for this long is closed with 1013.
    public var slowClientSeconds = 30.0
    /// Ping after this much silence; close after `idleHangupSeconds` without a pong.
    public var pingIdleSeconds = 30
    public var idleHangupSeconds = 60
    /// How long `GET /api/market-data/quote/{symbol}` waits for a first quote of a new symbol.
    public var firstQuoteWaitSeconds = 2.0
    /// A symbol no client streams and no HTTP request asked for in this long is released upstream
    /// (its market-data line freed) and forgotten.
    public var releaseIdleSymbolsSeconds = 60.0
    /// How often P&L totals are recorded for the history chart.
    public var snapshotSeconds = 60.0
    /// P&L pushes per second to each `pnl` subscriber, at most.
    public var pnlPerSecond = 4.0
    /// The dashboard's files; served at `/`.
    public var dashboardDirectory: String?
    /// Where docs/openapi.yaml lives; served at `/api/openapi.yaml`.
    public var docsDirectory: String?

    public init() {}

    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
