import Configuration
import TastyTradeBroker
import TickhubCore
import TickhubProcess

/// The `tastytrade` section: where TastyTrade is and how the sync behaves (the broker's own
/// `TastyTradeConfiguration`), and the OAuth grant, read as secrets so that only the environment can give it
/// (`TASTYTRADE_CLIENT_ID`, `TASTYTRADE_CLIENT_SECRET`, `TASTYTRADE_REFRESH_TOKEN`) and a file holding it is refused.
struct TastyTradeSettings {
    var configuration: TastyTradeConfiguration
    /// `tastytrade.quotes`: the DXLink connection of the quote provider.
    var quotes: TastyTradeQuoteProvider.Configuration
    /// Nil without a secret and a refresh token: the broker and its quote provider stay off.
    var credentials: TastyTradeCredentials?

    init(config: ConfigReader) throws {
        configuration = try TastyTradeConfiguration(config: config, version: BuildInfo.version)
        quotes = TastyTradeQuoteProvider.Configuration(config: config.scoped(to: "quotes"), userAgent: configuration.userAgent)
        // Secrets are read with an empty default: a default read as a secret stays marked as one.
        func secret(_ key: String) -> String? { config.string(forKey: ConfigKey(key), isSecret: true, default: "").nilIfEmpty }
        let clientID = secret("clientId"), clientSecret = secret("clientSecret"), refreshToken = secret("refreshToken")
        if let clientSecret, let refreshToken {
            credentials = TastyTradeCredentials(clientID: clientID, clientSecret: clientSecret, refreshToken: refreshToken)
        } else {
            credentials = nil
        }
    }
}
