import Configuration

extension YahooProvider {
    public struct Configuration: Sendable, Equatable {
        /// False leaves Yahoo out of the hub altogether (`--offline` does too).
        public var enabled = true
        /// `YAHOO_BASE_URL`; tests and proxies point it elsewhere.
        public var baseURL = "https://query1.finance.yahoo.com"
        /// How often each subscribed symbol is polled.
        public var pollSeconds = 15.0
        public var requestTimeoutSeconds = 10.0
        /// After a 429 or an outage: wait from this, doubling, up to the cap (15 min).
        public var backoffInitialSeconds = 30.0
        public var backoffCapSeconds = 900.0
        /// Symbols per v7 request.
        public var batchSize = 50
        /// A symbol Yahoo does not know is asked again after this long.
        public var unknownRetrySeconds = 6 * 3600.0
        public init() {}

        /// Reads the `yahoo` section over the defaults; the request timeout, batch size and retry delay are
        /// Yahoo's own business and stay as they are.
        public init(config: ConfigReader) {
            self.init()
            enabled = config.bool(forKey: "enabled", default: enabled)
            baseURL = config.string(forKey: "baseURL", default: baseURL)
            pollSeconds = config.double(forKey: "pollSeconds", default: pollSeconds)
            backoffInitialSeconds = config.double(forKey: "backoffInitialSeconds", default: backoffInitialSeconds)
            backoffCapSeconds = config.double(forKey: "backoffCapSeconds", default: backoffCapSeconds)
        }
    }
}
