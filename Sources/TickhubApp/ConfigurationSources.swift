import Configuration
import IBKR
import TickhubCore

/// The hub's one configuration reader, over its sources in precedence order: the command line, then the
/// environment, then the `--config` file, then (by not answering) each component's own defaults. What the
/// components refuse is told in the user's terms: under the flag, the variable or the file key that gave the value.
struct ConfigurationSources {
    let reader: ConfigReader
    private let commandLine: HubCommandLine
    private let environment: [String: String]
    private let reads = SettingReads()
    private let flagsName: String
    private let environmentName: String

    init(commandLine: HubCommandLine, environment: [String: String], file: ConfigurationFile?) {
        let flags = commandLine.provider
        let variables = EnvironmentSettings.provider(environment)
        var providers: [any ConfigProvider] = [flags, variables]
        if let file { providers.append(file) }
        reader = ConfigReader(providers: providers, accessReporter: reads)
        self.commandLine = commandLine
        self.environment = environment
        flagsName = flags.providerName
        environmentName = variables.providerName
    }

    /// Every component's configuration. A value that cannot be read as its key's type fails here too, although the
    /// reader itself only reports it and goes on with the default.
    func settings() throws -> HubSettings {
        let settings: HubSettings
        // An unreadable value was replaced by its default, which may be what a component then refused: the
        // unreadable value is the mistake to report.
        do {
            settings = try HubSettings(config: reader)
        } catch let error as InvalidSetting {
            throw firstUnreadable ?? ConfigurationError(error.message(naming: name(of: error.key)))
        } catch let error as IBKRConfiguration.ConfigurationError {
            throw firstUnreadable ?? ConfigurationError(describe(error))
        }
        if let unreadable = firstUnreadable { throw unreadable }
        return settings
    }

    /// How the user gave the value of `key`: the flag, the variable or, for the file, the key itself.
    private func name(of key: String) -> String {
        switch reads.provider(of: key) {
        case flagsName?: commandLine.flag(setting: key) ?? key
        case environmentName?: EnvironmentSettings.variable(setting: key)?.name ?? key
        default: key
        }
    }

    /// `IBKR_PORT="99999" is not valid`, when the environment gave `key`'s value: the text is what its owner has to
    /// change.
    private func refusedVariable(_ key: String, from provider: String?) -> String? {
        guard provider == environmentName, let variable = EnvironmentSettings.variable(setting: key) else { return nil }
        return "\(variable.name)=\"\(environment[variable.name] ?? "")\" is not valid"
    }

    private var firstUnreadable: ConfigurationError? {
        guard let unreadable = reads.firstUnreadable else { return nil }
        let expected = "expected \(unreadable.type.expectation)"
        return ConfigurationError("\(refusedVariable(unreadable.key, from: unreadable.provider) ?? unreadable.key): \(expected)")
    }

    /// IBKR's range checks name the setting, whichever source gave it; one from the environment names the variable
    /// too.
    private func describe(_ error: IBKRConfiguration.ConfigurationError) -> String {
        let key = switch error {
        case let .invalid(setting, _), let .outOfRange(setting, _, _): setting
        }
        return refusedVariable(key, from: reads.provider(of: key)).map { "\($0): \(error)" } ?? "\(error)"
    }
}
