import Configuration

/// The environment variables the hub reads, by the names its users already set, each mapped onto the key it
/// stands for. None follows swift-configuration's own naming (`server.token` would be `SERVER_TOKEN`), and no
/// variable outside this list is read at all, so a stray `DB` or `SERVER_LISTEN` in a service's environment
/// changes nothing.
enum EnvironmentSettings {
    struct Variable: Sendable {
        let name: String
        let key: String
        /// Most variables set to "" count as unset, as they always have. These three keep an empty value: an
        /// empty account means the first managed account even over a file's, and an empty port or client id is a
        /// mistake worth an error.
        var emptyIsAValue = false
    }

    static let variables: [Variable] = [
        Variable(name: "TICKHUB_TOKEN", key: "server.token"),
        Variable(name: "TICKHUB_PUBLISH_TOKEN", key: "server.publishToken"),
        Variable(name: "TICKHUB_SERVER_THREADS", key: "server.threads"),
        Variable(name: "TICKHUB_ALLOWED_ORIGINS", key: "server.allowedOrigins"),
        Variable(name: "IBKR_TRANSPORT", key: "ibkr.transport"),
        Variable(name: "IBKR_HOST", key: "ibkr.host"),
        Variable(name: "IBKR_PORT", key: "ibkr.port", emptyIsAValue: true),
        Variable(name: "IBKR_CLIENT_ID", key: "ibkr.clientId", emptyIsAValue: true),
        Variable(name: "IBKR_ACCOUNT_ID", key: "ibkr.accountId", emptyIsAValue: true),
        Variable(name: "YAHOO_BASE_URL", key: "yahoo.baseURL"),
        Variable(name: "ALPHAVANTAGE_BASE_URL", key: "alphaVantage.baseURL"),
        Variable(name: "ALPHAVANTAGE_API_KEY", key: "alphaVantage.apiKey"),
        Variable(name: "TELEGRAM_BASE_URL", key: "alerts.telegramBaseURL"),
        Variable(name: "TELEGRAM_BOT_TOKEN", key: "alerts.telegramBotToken"),
        Variable(name: "TICKHUB_PROVIDERS", key: "providers.order"),
        Variable(name: "TASTYTRADE_BASE_URL", key: "tastytrade.baseURL"),
        Variable(name: "TASTYTRADE_STREAMER_URL", key: "tastytrade.streamerURL"),
        Variable(name: "TASTYTRADE_CLIENT_ID", key: "tastytrade.clientId"),
        Variable(name: "TASTYTRADE_CLIENT_SECRET", key: "tastytrade.clientSecret"),
        Variable(name: "TASTYTRADE_REFRESH_TOKEN", key: "tastytrade.refreshToken"),
        Variable(name: "TICKHUB_ASSETS", key: "assets"),
        Variable(name: "TICKHUB_ROLE", key: "role"),
        Variable(name: "NATS_URL", key: "nats.url"),
        Variable(name: "NATS_USER", key: "nats.user"),
        Variable(name: "NATS_PASSWORD", key: "nats.password"),
        Variable(name: "NATS_TOKEN", key: "nats.token"),
        Variable(name: "TICKHUB_DATA_DIR", key: "dataDirectory"),
        Variable(name: "XDG_DATA_HOME", key: "xdgDataHome"),
        Variable(name: "HOME", key: "home"),
    ]

    /// The variable that sets `key`, if any does.
    static func variable(setting key: String) -> Variable? { variables.first { $0.key == key } }

    /// The variables of `environment` the hub reads, under their keys. Values are parsed as the key is read (a
    /// port as a whole number, `TICKHUB_PROVIDERS` as a comma-separated list), and the variables behind secret
    /// keys are marked secret in the provider too, so that printing it shows no token.
    static func provider(_ environment: [String: String]) -> KeyMappingProvider<EnvironmentVariablesProvider> {
        let read = Dictionary(uniqueKeysWithValues: variables.compactMap { variable -> (String, String)? in
            guard let value = environment[variable.name], !value.isEmpty || variable.emptyIsAValue else { return nil }
            return (variable.name, value)
        })
        let secret = Set(variables.filter { ConfigurationKeys.secrets.contains($0.key) }.map(\.name))
        let names = Dictionary(uniqueKeysWithValues: variables.map { ($0.key, $0.name) })
        return EnvironmentVariablesProvider(environmentVariables: read, secretsSpecifier: .specific(secret))
            // A one-component key is looked up by its own name. A key no variable stands for is sent to the
            // empty name, which no environment holds.
            .mapKeys { key in AbsoluteConfigKey([names[key.components.joined(separator: ".")] ?? ""]) }
    }
}
