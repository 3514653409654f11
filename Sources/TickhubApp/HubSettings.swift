import Alerts
import Configuration
import Hub
import IBKR
import MarketData
import TickhubCore

/// Every component's configuration, each read by the component's own `init(config:)` from its section of one
/// reader. A setting is added in one place, its component's `init(config:)`: the file check learns the key from
/// there (`ConfigurationKeys`), and only a flag or a variable for it needs a line more.
struct HubSettings {
    var server: ServerConfiguration
    var ibkr: IBKRConfiguration
    var yahoo: YahooProvider.Configuration
    var alphaVantage: AlphaVantageProvider.Configuration
    var providers: DataProviderManager.Configuration
    var push: PushProvider.Configuration
    var alerts: AlertsConfiguration
    /// `db`: the positions database; nil (or empty in the file) leaves it to the data directory.
    var databasePath: String?
    /// `role` and `nats`: this process's part in a scaled-out Tickhub.
    var scaleOut: ScaleOutSettings
    /// `tastytrade`: the second broker's sync and quote provider, on when the environment holds its grant.
    var tastytrade: TastyTradeSettings

    init(config: ConfigReader) throws {
        server = try Self.section("server", of: config, ServerConfiguration.init(config:))
        ibkr = try Self.section("ibkr", of: config, IBKRConfiguration.init(config:))
        yahoo = Self.section("yahoo", of: config, YahooProvider.Configuration.init(config:))
        alphaVantage = Self.section("alphaVantage", of: config, AlphaVantageProvider.Configuration.init(config:))
        providers = try Self.section("providers", of: config, DataProviderManager.Configuration.init(config:))
        push = Self.section("push", of: config, PushProvider.Configuration.init(config:))
        alerts = try Self.section("alerts", of: config, AlertsConfiguration.init(config:))
        databasePath = config.string(forKey: "db").flatMap { $0.isEmpty ? nil : $0 }
        scaleOut = try ScaleOutSettings(config: config)
        tastytrade = try Self.section("tastytrade", of: config, TastyTradeSettings.init(config:))
    }

    /// A component's section; a value it refuses is named by its full key (`listen` becomes `server.listen`).
    private static func section<T>(_ name: String, of config: ConfigReader, _ read: (ConfigReader) throws -> T) rethrows -> T {
        do {
            return try read(config.scoped(to: ConfigKey(name)))
        } catch let error as InvalidSetting {
            throw error.within(name)
        }
    }
}
