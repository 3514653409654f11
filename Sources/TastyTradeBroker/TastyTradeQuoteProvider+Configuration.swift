import Configuration

extension TastyTradeQuoteProvider {
    /// How the DXLink connection is kept: the `tastytrade.quotes` section.
    public struct Configuration: Sendable, Equatable {
        /// Sent with the WebSocket upgrade, as TastyTrade's other endpoints want one.
        public var userAgent = "tickhub/1.0"
        /// A KEEPALIVE this often (DXLink closes a connection silent past its timeout; 30 s is the SDKs' practice).
        public var keepaliveSeconds = 30.0
        /// The timeout announced in SETUP, and how long the server may stay silent before the link is dropped.
        public var keepaliveTimeoutSeconds = 60.0
        /// The connection and the upgrade together.
        public var connectTimeoutSeconds = 10.0
        /// How often DXLink may send what changed, in seconds (FEED_SETUP's acceptAggregationPeriod).
        public var aggregationSeconds = 0.1
        /// Reconnecting: the first wait, doubled up to the cap.
        public var reconnectInitialSeconds = 1.0
        public var reconnectCapSeconds = 60.0
        /// After a fresh quote token was refused too: the wait before trying again with another.
        public var refusedRetrySeconds = 300.0
        /// A quote token is asked again after this long even when nothing refused it (TastyTrade's live 24 hours).
        public var tokenLifeSeconds = 20 * 3600.0

        public init() {}

        /// `userAgent` is the broker's own unless the section names another.
        public init(config: ConfigReader, userAgent: String? = nil) {
            self.init()
            if let userAgent { self.userAgent = userAgent }
            self.userAgent = config.string(forKey: "userAgent", default: self.userAgent)
            keepaliveSeconds = config.double(forKey: "keepaliveSeconds", default: keepaliveSeconds)
            keepaliveTimeoutSeconds = config.double(forKey: "keepaliveTimeoutSeconds", default: keepaliveTimeoutSeconds)
            connectTimeoutSeconds = config.double(forKey: "connectTimeoutSeconds", default: connectTimeoutSeconds)
            aggregationSeconds = config.double(forKey: "aggregationSeconds", default: aggregationSeconds)
            reconnectInitialSeconds = config.double(forKey: "reconnectInitialSeconds", default: reconnectInitialSeconds)
            reconnectCapSeconds = config.double(forKey: "reconnectCapSeconds", default: reconnectCapSeconds)
            refusedRetrySeconds = config.double(forKey: "refusedRetrySeconds", default: refusedRetrySeconds)
        }
    }
}
