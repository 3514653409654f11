import Configuration
import TickhubCore

/// The `alerts` section: where fired alerts are delivered and how hard the hub tries.
public struct AlertsConfiguration: Sendable, Equatable {
    /// `TELEGRAM_BASE_URL`; tests point it at a fake Bot API.
    public var telegramBaseURL = "https://api.telegram.org"
    /// From `TELEGRAM_BOT_TOKEN` only: never from a file, never logged, never in a response or a stored delivery.
    public var telegramBotToken: String?
    /// Attempts per delivery (webhook or Telegram), the first included.
    public var deliveryAttempts = 5
    /// One attempt's limit, connection and answer together.
    public var deliveryTimeoutSeconds = 10.0
    /// Between attempts: from this, doubling, up to the cap (TickhubCore's `Backoff`, with jitter).
    public var retryInitialSeconds = 1.0
    public var retryCapSeconds = 60.0
    /// Deliveries kept in the database (with their attempts); older ones are pruned.
    public var deliveriesKept = 1_000
    /// Rules in force at most: each is evaluated on its symbol's quotes and its symbol followed upstream.
    public var maxRules = 1_000

    public init() {}

    /// Reads the `alerts` section over the defaults. The token is read as a secret with an empty default, so even
    /// a read that finds nothing says it was of a secret; an empty token is no token.
    public init(config: ConfigReader) throws {
        self.init()
        telegramBaseURL = config.string(forKey: "telegramBaseURL", default: telegramBaseURL)
        let token = config.string(forKey: "telegramBotToken", isSecret: true, default: "")
        telegramBotToken = token.isEmpty ? nil : token
        deliveryAttempts = config.int(forKey: "deliveryAttempts", default: deliveryAttempts)
        deliveryTimeoutSeconds = config.double(forKey: "deliveryTimeoutSeconds", default: deliveryTimeoutSeconds)
        retryInitialSeconds = config.double(forKey: "retryInitialSeconds", default: retryInitialSeconds)
        retryCapSeconds = config.double(forKey: "retryCapSeconds", default: retryCapSeconds)
        deliveriesKept = config.int(forKey: "deliveriesKept", default: deliveriesKept)
        maxRules = config.int(forKey: "maxRules", default: maxRules)
        try check()
    }

    private func check() throws {
        let lowered = telegramBaseURL.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw InvalidSetting(key: "telegramBaseURL") { "\($0) must be an http:// or https:// URL" }
        }
        guard (1...20).contains(deliveryAttempts) else {
            throw InvalidSetting(key: "deliveryAttempts") { "\($0) is \(deliveryAttempts); it must be 1–20" }
        }
        for (key, value) in [("deliveryTimeoutSeconds", deliveryTimeoutSeconds), ("retryInitialSeconds", retryInitialSeconds),
                             ("retryCapSeconds", retryCapSeconds)] where !(value.isFinite && value > 0 && value <= 3_600) {
            throw InvalidSetting(key: key) { "\($0) is \(value); it must be more than 0 and at most 3600 seconds" }
        }
        guard maxRules >= 1 else {
            throw InvalidSetting(key: "maxRules") { "\($0) is \(maxRules); allow at least 1" }
        }
        guard deliveriesKept >= 1 else {
            throw InvalidSetting(key: "deliveriesKept") { "\($0) is \(deliveriesKept); keep at least 1" }
        }
    }
}
