import Configuration
import Foundation
import Hub
import IBKR
import MarketData
import Synchronization
import Testing
@testable import TickhubApp

/// Each component's configuration through the hub's one reader: its defaults, the file over them, the environment
/// over the file, a flag over the environment; and what is refused, named as the user gave it.
@Suite struct ConfigurationLayersTests {
    static func settings(
        _ flags: HubCommandLine = HubCommandLine(), environment: [String: String] = [:], file json: String? = nil
    ) throws -> HubSettings {
        let file = try json.map { try ConfigurationFile.parse(Data($0.utf8), source: "hub.json") }
        return try ConfigurationSources(commandLine: flags, environment: environment, file: file).settings()
    }

    static func refusal(
        _ flags: HubCommandLine = HubCommandLine(), environment: [String: String] = [:], file json: String? = nil
    ) -> String? {
        #expect(throws: ConfigurationError.self) { try settings(flags, environment: environment, file: json) }?.description
    }

    static func flags(_ set: (inout HubCommandLine) -> Void) -> HubCommandLine {
        var options = HubCommandLine()
        set(&options)
        return options
    }

    /// Every component's configuration is its own default.
    static func expectDefaults(_ settings: HubSettings, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(settings.server == ServerConfiguration(), sourceLocation: sourceLocation)
        #expect(settings.ibkr == IBKRConfiguration(), sourceLocation: sourceLocation)
        #expect(settings.yahoo == YahooProvider.Configuration(), sourceLocation: sourceLocation)
        #expect(settings.alphaVantage == AlphaVantageProvider.Configuration(), sourceLocation: sourceLocation)
        #expect(settings.providers.policy == DataProviderManager.Configuration().policy, sourceLocation: sourceLocation)
        #expect(settings.push == PushProvider.Configuration(), sourceLocation: sourceLocation)
        #expect(settings.databasePath == nil, sourceLocation: sourceLocation)
    }

    @Test func nothingSetIsEveryComponentsDefaults() throws {
        Self.expectDefaults(try Self.settings())
    }

    // MARK: server

    @Test func serverListenFromTheFileThenTheFlag() throws {
        let file = #"{"server": {"listen": "127.0.0.1:9000", "maxSymbolsPerClient": 5}}"#
        let fromFile = try Self.settings(file: file).server
        #expect(fromFile.host == "127.0.0.1" && fromFile.port == 9000)
        #expect(fromFile.maxSymbolsPerClient == 5)
        let fromFlag = try Self.settings(Self.flags { $0.listen = "0.0.0.0:9001" }, file: file).server
        #expect(fromFlag.host == "0.0.0.0" && fromFlag.port == 9001)
        #expect(fromFlag.maxSymbolsPerClient == 5)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), (":9000", "127.0.0.1", 9000), ("0.0.0.0:0", "0.0.0.0", 0),
        ("[::1]:9000", "::1", 9000),
    ])
    func listenIsHostAndPort(text: String, host: String, port: Int) throws {
        let server = try Self.settings(Self.flags { $0.listen = text }).server
        #expect(server.host == host && server.port == port)
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:", "127.0.0.1:x"])
    func aListenAddressWithoutAPortIsNamedAsGiven(text: String) {
        #expect(Self.refusal(Self.flags { $0.listen = text }) == "--listen wants HOST:PORT, e.g. 127.0.0.1:8080, not \"\(text)\"")
        #expect(Self.refusal(file: #"{"server": {"listen": "\#(text)"}}"#)
            == "server.listen wants HOST:PORT, e.g. 127.0.0.1:8080, not \"\(text)\"")
    }

    @Test(arguments: [65536, 70000])
    func aListenPortOutOfRangeIsRefused(port: Int) {
        #expect(Self.refusal(Self.flags { $0.listen = "127.0.0.1:\(port)" })
            == "--listen: port \(port) is outside 1–65535 (0 picks a free port)")
    }

    @Test func serviceThreadsFromTheFileThenTheEnvironmentThenTheFlag() throws {
        #expect(try Self.settings().server.threads == ProcessInfo.processInfo.activeProcessorCount, "one per core by default")
        let file = #"{"server": {"threads": 3}}"#
        #expect(try Self.settings(file: file).server.threads == 3)
        #expect(try Self.settings(environment: ["TICKHUB_SERVER_THREADS": "5"], file: file).server.threads == 5)
        #expect(try Self.settings(Self.flags { $0.threads = 1 }, environment: ["TICKHUB_SERVER_THREADS": "5"], file: file).server.threads == 1)
        #expect(try Self.settings(file: #"{"server": {"threads": null}}"#).server.threads == ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test(arguments: [0, -2, 257, 100_000])
    func anAbsurdNumberOfServiceThreadsIsRefusedWhereverItCameFrom(count: Int) {
        let why = "is \(count); it must be 1–256 (the default is one per core, \(ProcessInfo.processInfo.activeProcessorCount) here)"
        #expect(Self.refusal(Self.flags { $0.threads = count }) == "--threads " + why)
        #expect(Self.refusal(environment: ["TICKHUB_SERVER_THREADS": "\(count)"]) == "TICKHUB_SERVER_THREADS " + why)
        #expect(Self.refusal(file: #"{"server": {"threads": \#(count)}}"#) == "server.threads " + why)
        #expect(Self.refusal(environment: ["TICKHUB_SERVER_THREADS": "many"]) == #"TICKHUB_SERVER_THREADS="many" is not valid: expected a whole number"#)
    }

    @Test func tokensComeFromTheEnvironmentOnlyAndEmptyIsNone() throws {
        let server = try Self.settings(environment: ["TICKHUB_TOKEN": "t0k3n", "TICKHUB_PUBLISH_TOKEN": "pub"]).server
        #expect(server.token == "t0k3n")
        #expect(server.publishToken == "pub")
        let empty = try Self.settings(environment: ["TICKHUB_TOKEN": "", "TICKHUB_PUBLISH_TOKEN": ""]).server
        #expect(empty.token == nil && empty.publishToken == nil)
    }

    // MARK: ibkr

    @Test func ibkrFromTheFileThenTheEnvironmentThenTheFlag() throws {
        let file = #"{"ibkr": {"host": "file.local", "port": 4002, "lineBudget": 50}}"#
        let fromFile = try Self.settings(file: file).ibkr
        #expect(fromFile.host == "file.local" && fromFile.port == 4002 && fromFile.lineBudget == 50)
        let environment = ["IBKR_HOST": "env.local", "IBKR_PORT": "4001", "IBKR_CLIENT_ID": "23", "IBKR_ACCOUNT_ID": "DU999"]
        let fromEnvironment = try Self.settings(environment: environment, file: file).ibkr
        #expect(fromEnvironment.host == "env.local" && fromEnvironment.port == 4001)
        #expect(fromEnvironment.clientId == 23 && fromEnvironment.accountId == "DU999")
        #expect(fromEnvironment.lineBudget == 50)
        let flags = Self.flags {
            $0.ibkrHost = "flag.local"
            $0.ibkrPort = 7496
            $0.ibkrClientId = 9
            $0.ibkrAccount = "U1"
        }
        let fromFlags = try Self.settings(flags, environment: environment, file: file).ibkr
        #expect(fromFlags.host == "flag.local" && fromFlags.port == 7496 && fromFlags.clientId == 9 && fromFlags.accountId == "U1")
    }

    @Test func anEmptyIBKRHostIsUnsetButAnEmptyAccountIsAValue() throws {
        let ibkr = try Self.settings(environment: ["IBKR_HOST": "", "IBKR_ACCOUNT_ID": ""], file: #"{"ibkr": {"accountId": "U1"}}"#).ibkr
        #expect(ibkr.host == "127.0.0.1")
        #expect(ibkr.accountId == "")
    }

    @Test(arguments: ["abc", "", "74 97"])
    func anIBKRVariableThatIsNotANumberNamesTheVariable(text: String) {
        #expect(Self.refusal(environment: ["IBKR_PORT": text]) == "IBKR_PORT=\"\(text)\" is not valid: expected a whole number")
        #expect(Self.refusal(environment: ["IBKR_CLIENT_ID": text])
            == "IBKR_CLIENT_ID=\"\(text)\" is not valid: expected a whole number")
    }

    @Test(arguments: ["0", "65536", "99999", "-1"])
    func anIBKRPortOutOfRangeFromTheEnvironmentNamesTheVariable(text: String) {
        #expect(Self.refusal(environment: ["IBKR_PORT": text])
            == "IBKR_PORT=\"\(text)\" is not valid: ibkr.port is \(text); it must be 1–65535")
    }

    @Test func anIBKRPortOutOfRangeFromAFlagOrTheFileNamesTheSetting() {
        #expect(Self.refusal(Self.flags { $0.ibkrPort = 99999 }) == "ibkr.port is 99999; it must be 1–65535")
        #expect(Self.refusal(file: #"{"ibkr": {"port": 0}}"#) == "ibkr.port is 0; it must be 1–65535")
    }

    // MARK: yahoo and alphaVantage

    @Test func yahooFromTheFileThenTheEnvironmentThenTheFlag() throws {
        let file = #"{"yahoo": {"baseURL": "http://file", "pollSeconds": 5, "enabled": false}}"#
        let fromFile = try Self.settings(file: file).yahoo
        #expect(fromFile.baseURL == "http://file" && fromFile.pollSeconds == 5 && !fromFile.enabled)
        let environment = ["YAHOO_BASE_URL": "http://env"]
        #expect(try Self.settings(environment: environment, file: file).yahoo.baseURL == "http://env")
        let flags = Self.flags { $0.yahooBaseURL = "http://flag" }
        #expect(try Self.settings(flags, environment: environment, file: file).yahoo.baseURL == "http://flag")
        #expect(try Self.settings(environment: ["YAHOO_BASE_URL": ""], file: file).yahoo.baseURL == "http://file")
    }

    @Test func alphaVantageFromTheFileThenTheEnvironmentThenTheFlag() throws {
        let file = #"{"alphaVantage": {"baseURL": "http://file", "dailyBudget": 500}}"#
        let fromFile = try Self.settings(file: file).alphaVantage
        #expect(fromFile.baseURL == "http://file" && fromFile.dailyBudget == 500 && fromFile.apiKey == nil)
        let environment = ["ALPHAVANTAGE_BASE_URL": "http://env", "ALPHAVANTAGE_API_KEY": "k3y"]
        let fromEnvironment = try Self.settings(environment: environment, file: file).alphaVantage
        #expect(fromEnvironment.baseURL == "http://env" && fromEnvironment.apiKey == "k3y")
        let flags = Self.flags { $0.alphaVantageBaseURL = "http://flag" }
        #expect(try Self.settings(flags, environment: environment, file: file).alphaVantage.baseURL == "http://flag")
        #expect(try Self.settings(environment: ["ALPHAVANTAGE_API_KEY": ""]).alphaVantage.apiKey == nil)
    }

    // MARK: providers and push

    @Test func providerOrderFromTheFileThenTheEnvironment() throws {
        let file = #"{"providers": {"order": ["yahoo", "ibkr"], "failbackSeconds": 7}}"#
        let fromFile = try Self.settings(file: file).providers.policy
        #expect(fromFile.order == [.yahoo, .ibkr] && fromFile.failbackSeconds == 7)
        let fromEnvironment = try Self.settings(environment: ["TICKHUB_PROVIDERS": "push,alphavantage,"], file: file)
        #expect(fromEnvironment.providers.policy.order == [.push, .alphaVantage])
        #expect(fromEnvironment.providers.policy.failbackSeconds == 7)
    }

    @Test func anUnknownProviderIsNamedWhereItWasGiven() {
        #expect(Self.refusal(environment: ["TICKHUB_PROVIDERS": "ibkr,bloomberg"])
            == #"TICKHUB_PROVIDERS: unknown provider "bloomberg" (ibkr, yahoo, alphavantage, push, tastytrade)"#)
        #expect(Self.refusal(file: #"{"providers": {"order": ["ibkr", "bloomberg"]}}"#)
            == #"providers.order: unknown provider "bloomberg" (ibkr, yahoo, alphavantage, push, tastytrade)"#)
    }

    @Test func pushStaleSecondsFromTheFile() throws {
        #expect(try Self.settings(file: #"{"push": {"staleSeconds": 5}}"#).push.staleSeconds == 5)
    }

    // MARK: the database and the process

    @Test func theDatabaseFromTheFileThenTheFlag() throws {
        #expect(try Self.settings(file: #"{"db": "/file.sqlite"}"#).databasePath == "/file.sqlite")
        #expect(try Self.settings(Self.flags { $0.db = "/flag.sqlite" }, file: #"{"db": "/file.sqlite"}"#).databasePath == "/flag.sqlite")
        #expect(try Self.settings(file: #"{"db": ""}"#).databasePath == nil)
    }

    @Test func theDefaultDatabaseIsInTheDataDirectory() {
        func path(_ environment: [String: String]) -> String {
            HubLauncher.defaultDatabasePath(
                ConfigurationSources(commandLine: HubCommandLine(), environment: environment, file: nil).reader)
        }
        #expect(path(["TICKHUB_DATA_DIR": "/data", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]) == "/data/tickhub.sqlite")
        #expect(path(["TICKHUB_DATA_DIR": "", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]) == "/xdg/tickhub/tickhub.sqlite")
        #expect(path(["HOME": "/home/u"]) == "/home/u/.local/share/tickhub/tickhub.sqlite")
        #expect(path([:]) == "./.local/share/tickhub/tickhub.sqlite")
    }

    @Test func assetsFromTheEnvironmentThenTheFlag() {
        func assets(_ flags: HubCommandLine, _ environment: [String: String]) -> String? {
            ConfigurationSources(commandLine: flags, environment: environment, file: nil).reader.string(forKey: "assets")
        }
        #expect(assets(HubCommandLine(), [:]) == nil)
        #expect(assets(HubCommandLine(), ["TICKHUB_ASSETS": "/env"]) == "/env")
        #expect(assets(Self.flags { $0.assets = "/flag" }, ["TICKHUB_ASSETS": "/env"]) == "/flag")
    }

    @Test func variablesTheHubDoesNotNameChangeNothing() throws {
        // What swift-configuration would read for these keys by its own naming.
        let environment = ["SERVER_LISTEN": "0.0.0.0:1", "DB": "/x.sqlite", "PUSH_STALE_SECONDS": "1", "IBKR_LINE_BUDGET": "3",
                           "SERVER_TOKEN": "x"]
        let settings = try Self.settings(environment: environment)
        #expect(settings.server == ServerConfiguration())
        #expect(settings.databasePath == nil)
        #expect(settings.push == PushProvider.Configuration())
        #expect(settings.ibkr == IBKRConfiguration())
    }

    // MARK: secrets

    /// Every access the reader reports, as swift-configuration renders it for its access logs.
    final class AccessLog: AccessReporter, Sendable {
        let lines = Mutex<[String]>([])
        func report(_ event: AccessEvent) { lines.withLock { $0.append(event.description) } }
    }

    @Test func secretsAreRedactedWhereverTheReaderShowsThem() throws {
        let environment = ["TICKHUB_TOKEN": "t0k3n", "TICKHUB_PUBLISH_TOKEN": "pub-s3cret", "ALPHAVANTAGE_API_KEY": "k3y-s3cret",
                           "IBKR_HOST": "gateway.local"]
        let provider = EnvironmentSettings.provider(environment)
        let log = AccessLog()
        _ = try HubSettings(config: ConfigReader(provider: provider, accessReporter: log))
        let logged = log.lines.withLock { $0 }.joined(separator: "\n")
        let shown = String(reflecting: provider)
        for secret in ["t0k3n", "pub-s3cret", "k3y-s3cret"] {
            #expect(!logged.contains(secret))
            #expect(!shown.contains(secret))
        }
        #expect(logged.contains("server.token -> \"<REDACTED>\""), "\(logged)")
        #expect(shown.contains("TICKHUB_TOKEN=<REDACTED>"), "\(shown)")
        // Values that are not secrets are shown as they are.
        #expect(logged.contains("gateway.local") && shown.contains("IBKR_HOST=gateway.local"))
    }
}
