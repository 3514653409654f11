import Configuration

extension AlphaVantageProvider {
    public struct Configuration: Sendable, Equatable {
        /// `ALPHAVANTAGE_BASE_URL`.
        public var baseURL = "https://www.alphavantage.co"
        /// From `ALPHAVANTAGE_API_KEY` only: never from a file, never logged.
        public var apiKey: String?
        /// Requests per UTC day.
        public var dailyBudget = 25
        /// Spacing between requests (the free tier allows one a second).
        public var minimumSpacingSeconds = 1.2
        /// How often one symbol is asked again; with 25 requests a day, rarely.
        public var pollSeconds = 300.0
        public var requestTimeoutSeconds = 10.0
        public init() {}

        /// Reads the `alphaVantage` section over the defaults. The key is read as a secret, with an empty
        /// default rather than as an optional so that even a read that finds nothing says it was of a secret;
        /// an empty key is no key.
        public init(config: ConfigReader) {
            self.init()
            baseURL = config.string(forKey: "baseURL", default: baseURL)
            let apiKey = config.string(forKey: "apiKey", isSecret: true, default: "")
            self.apiKey = apiKey.isEmpty ? nil : apiKey
            dailyBudget = config.int(forKey: "dailyBudget", default: dailyBudget)
            minimumSpacingSeconds = config.double(forKey: "minimumSpacingSeconds", default: minimumSpacingSeconds)
            pollSeconds = config.double(forKey: "pollSeconds", default: pollSeconds)
        }
    }
}
