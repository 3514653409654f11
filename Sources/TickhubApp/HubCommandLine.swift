import Configuration

/// What the `tickhub` command line says; nil leaves the setting to the environment, the file or the default.
public struct HubCommandLine: Sendable {
    public var config: String?
    public var listen: String?
    public var threads: Int?
    /// `--ibkr-transport`: `tws` or `clientportal`.
    public var ibkrTransport: String?
    public var ibkrHost: String?
    public var ibkrPort: Int?
    public var ibkrClientId: Int?
    public var ibkrAccount: String?
    public var yahooBaseURL: String?
    public var alphaVantageBaseURL: String?
    public var db: String?
    public var assets: String?
    public var noDashboard = false
    public var demo = false
    /// `--no-demo-tastytrade` turns it off: with `--demo`, TastyTrade is simulated too.
    public var demoTastyTrade = true
    public var offline = false
    /// `--market-clock`: the time it is on the exchange the hub watches, when that is a simulator started with
    /// `--clock` (ISO 8601 with an offset).
    public var marketClock: String?
    /// `--role`: `all`, `ingest` or `edge`.
    public var role: String?
    public var natsURL: String?
    public var natsPrefix: String?

    public init() {}

    /// An option given, as the setting it stands for.
    struct Setting {
        /// As the user typed it, for messages: `--listen`.
        let flag: String
        let key: String
        let value: ConfigContent
    }

    /// The options given that are settings, each under its key. `--config` names the file rather than a
    /// setting, and `--demo`, `--offline`, `--market-clock` and `--no-dashboard` are ways of running the hub that the launcher
    /// applies itself.
    var settings: [Setting] {
        let options: [(String, String, ConfigContent?)] = [
            ("--listen", "server.listen", listen.map(ConfigContent.string)),
            ("--threads", "server.threads", threads.map(ConfigContent.int)),
            ("--ibkr-transport", "ibkr.transport", ibkrTransport.map(ConfigContent.string)),
            ("--ibkr-host", "ibkr.host", ibkrHost.map(ConfigContent.string)),
            ("--ibkr-port", "ibkr.port", ibkrPort.map(ConfigContent.int)),
            ("--ibkr-client-id", "ibkr.clientId", ibkrClientId.map(ConfigContent.int)),
            ("--ibkr-account", "ibkr.accountId", ibkrAccount.map(ConfigContent.string)),
            ("--yahoo-base-url", "yahoo.baseURL", yahooBaseURL.map(ConfigContent.string)),
            ("--alphavantage-base-url", "alphaVantage.baseURL", alphaVantageBaseURL.map(ConfigContent.string)),
            ("--db", "db", db.map(ConfigContent.string)),
            ("--assets", "assets", assets.map(ConfigContent.string)),
            ("--role", "role", role.map(ConfigContent.string)),
            ("--nats-url", "nats.url", natsURL.map(ConfigContent.string)),
            ("--nats-prefix", "nats.subjectPrefix", natsPrefix.map(ConfigContent.string)),
        ]
        return options.compactMap { flag, key, value in value.map { Setting(flag: flag, key: key, value: $0) } }
    }

    /// The first source the reader asks: what was typed wins over everything else.
    var provider: InMemoryProvider {
        InMemoryProvider(
            name: "command line",
            values: Dictionary(uniqueKeysWithValues: settings.map {
                (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue($0.value, isSecret: false))
            }))
    }

    /// The flag that set `key`, if one did.
    func flag(setting key: String) -> String? { settings.first { $0.key == key }?.flag }
}
