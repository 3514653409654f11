import ArgumentParser
import AsyncHTTPClient
import CRecvTap
import Foundation
import IBKR
import Logging
import MarketData
import NIOPosix
import Portfolio
import Store
import TWSSimulator
import TickhubApp
import TickhubCore
import TickhubProcess
import Hub
import LwsHost

@main
struct Tickhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickhub",
        abstract: "Real-time market data from IBKR, fanned out to dashboards and bots over WebSocket and HTTP.",
        version: BuildInfo.description)

    @Option(help: "JSON configuration file (see config/tickhub.example.json).") var config: String?
    @Option(help: "Address and port to serve HTTP and WebSocket on (IPv4; port 0 picks a free one).") var listen: String?
    @Option(help: "TWS / IB Gateway host.") var ibkrHost: String?
    @Option(help: "TWS / IB Gateway port (7497 TWS paper, 7496 live, 4002 / 4001 IB Gateway).") var ibkrPort: Int?
    @Option(help: "API client id; unique per connection to TWS.") var ibkrClientId: Int?
    @Option(help: "IBKR account for account updates and P&L.") var ibkrAccount: String?
    @Option(help: "Yahoo Finance base URL (default https://query1.finance.yahoo.com; env YAHOO_BASE_URL).") var yahooBaseUrl: String?
    @Option(help: "Alpha Vantage base URL (default https://www.alphavantage.co; env ALPHAVANTAGE_BASE_URL).") var alphavantageBaseUrl: String?
    @Option(help: "SQLite database file.") var db: String?
    @Option(help: "Directory with the dashboard and other assets (env TICKHUB_ASSETS; see docs/configuration.md).") var assets: String?
    @Flag(help: "Serve the HTTP and WebSocket API without the dashboard.") var noDashboard = false
    @Flag(help: "Start a TWS simulator on a free loopback port and connect to it.") var demo = false
    @Flag(help: "Call no outside service: Yahoo Finance and Alpha Vantage stay off.") var offline = false
    @Option(help: "Log level (env LOG_LEVEL; default notice).") var logLevel: Logger.Level?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        ProcessLogging.bootstrap(level: try ProcessLogging.level(flag: logLevel, environment: environment))
        // A database that reaches the file-size limit (ulimit -f) fails its writes, which health reports; by
        // default the kernel's SIGXFSZ would kill the hub and every client with it.
        signal(SIGXFSZ, SIG_IGN)
        recv_tap_install()
        let logger = Logger(label: "tickhub")
        let file = try config.map(HubConfigurationFile.load)

        // Defaults, then the file, then the environment, then flags.
        var server = ServerConfiguration()
        try file?.apply(to: &server)
        var ibkr = file?.ibkr ?? IBKRConfiguration()
        ibkr = try ibkr.applyingEnvironment(environment)
        if let listen { (server.host, server.port) = try ListenAddress.parse(listen) }
        server.host = try ListenAddress.resolve(server.host)
        if let ibkrHost { ibkr.host = ibkrHost }
        if let ibkrPort { ibkr.port = ibkrPort }
        if let ibkrClientId { ibkr.clientId = ibkrClientId }
        if let ibkrAccount { ibkr.accountId = ibkrAccount }
        try ibkr.validate()
        if let token = environment["TICKHUB_TOKEN"], !token.isEmpty { server.token = token }
        guard server.isLoopback || server.token != nil else {
            throw ConfigurationError("listening on \(server.host) exposes market data beyond this machine: set TICKHUB_TOKEN first")
        }
        if let tls = server.tls { try TLSFiles.check(tls) }
        let found = try Assets.locate(explicit: assets ?? environment["TICKHUB_ASSETS"], requireDashboard: !noDashboard)
        server.dashboardDirectory = noDashboard ? nil : found.dashboard
        server.docsDirectory = found.openAPIDirectory

        // The simulator is part of this process, not an outside connection: it only has to exist before IBKR's
        // configuration is final. Nothing connects anywhere until the server is listening.
        var simulator: TWSSimulator?
        if demo {
            var simulation = SimulatorConfiguration()
            simulation.port = 0
            simulation.ticksPerSecond = 400
            if let path = found.demoPortfolio {
                simulation.portfolio = try SimulatedPortfolio.load(from: URL(fileURLWithPath: path))
            }
            let sim = TWSSimulator(configuration: simulation, logger: Logger(label: "tickhub.sim"))
            ibkr.host = "127.0.0.1"
            ibkr.port = try await sim.start()
            simulator = sim
            logger.notice("demo: TWS simulator on 127.0.0.1:\(ibkr.port)")
        }

        // HTTP fallbacks: defaults, file, environment, flags; the Alpha Vantage key only from the environment.
        var yahoo = YahooProvider.Configuration()
        var yahooEnabled = true
        file?.apply(to: &yahoo, enabled: &yahooEnabled)
        if offline { yahooEnabled = false }
        if let url = environment["YAHOO_BASE_URL"], !url.isEmpty { yahoo.baseURL = url }
        if let yahooBaseUrl { yahoo.baseURL = yahooBaseUrl }
        var alphaVantage = AlphaVantageProvider.Configuration()
        file?.apply(to: &alphaVantage)
        if let url = environment["ALPHAVANTAGE_BASE_URL"], !url.isEmpty { alphaVantage.baseURL = url }
        if let alphavantageBaseUrl { alphaVantage.baseURL = alphavantageBaseUrl }
        alphaVantage.apiKey = offline ? nil : environment["ALPHAVANTAGE_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        var managerConfiguration = DataProviderManager.Configuration()
        try file?.apply(to: &managerConfiguration)
        if let order = environment["TICKHUB_PROVIDERS"], !order.isEmpty {
            managerConfiguration.policy.order = try order.split(separator: ",").map { name in
                guard let provider = QuoteSource(rawValue: String(name)) else {
                    throw ConfigurationError("TICKHUB_PROVIDERS: unknown provider \"\(name)\" (ibkr, yahoo, alphavantage, push)")
                }
                return provider
            }
        }
        // Publishers: enabled by their token; last in line unless the order names push somewhere else.
        if let token = environment["TICKHUB_PUBLISH_TOKEN"], !token.isEmpty { server.publishToken = token }
        var push = PushProvider.Configuration()
        push.enabled = server.publishToken != nil
        file?.apply(to: &push)
        if push.enabled, !managerConfiguration.policy.order.contains(.push) { managerConfiguration.policy.order.append(.push) }
        let pushed = PushProvider(configuration: push)

        // A provider that cannot even be reached should say so in seconds, not after a long connect retry.
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(3), read: .seconds(10))
        let httpClient = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        let provider = IBKRProvider(configuration: ibkr)
        var feeds: [any MarketDataProvider] = [IBKRMarketDataProvider(provider)]
        if yahooEnabled { feeds.append(YahooProvider(configuration: yahoo, client: httpClient)) }
        feeds.append(AlphaVantageProvider(configuration: alphaVantage, client: httpClient))
        feeds.append(pushed)
        let hubBox = HubBox()
        let manager = DataProviderManager(configuration: managerConfiguration, providers: feeds) { event in
            if let hub = hubBox.server { ManagerBackend.forward(event, to: hub) }
        }
        // Positions live in one SQLite file: --db, else the config file's `db`, else the data directory.
        let databasePath = db ?? file?.databasePath ?? Self.defaultDatabasePath(environment)
        let store: PositionStore
        do {
            store = try PositionStore(path: databasePath)
        } catch {
            throw ConfigurationError("cannot use the database \(databasePath): \(error)")
        }
        let portfolio = PortfolioService(store: store) { broker, holdings in
            hubBox.server?.publishHoldings(broker: broker, holdings)
        }
        let backend = ManagerBackend(manager: manager, ibkr: provider, pushed: pushed, portfolio: portfolio)
        let hub = TickhubServer(configuration: server, backend: backend)
        hubBox.server = hub
        // A port that cannot be had ends the run here, before TWS or any provider hears from us.
        let port = try await hub.start()
        await backend.reportIBKRStatus(to: hub)
        await backend.reportPortfolio(to: hub)
        await portfolio.publishStored()
        // Last run's prices, stale until a provider refreshes them.
        for quote in await portfolio.lastQuotes() { hub.publish(quote) }
        await manager.start()

        let url = server.url(port: port)
        // One parseable line for scripts and tests, then the human ones.
        var lines = ["tickhub: listening url=\(url) port=\(port)"]
        if demo {
            lines.append("IBKR: the built-in TWS simulator on 127.0.0.1:\(ibkr.port) (demo)")
        } else {
            lines.append("IBKR: TWS / IB Gateway at \(ibkr.host):\(ibkr.port), client id \(ibkr.clientId)")
        }
        lines.append(contentsOf: OutsideServices.describe(
            yahoo: yahooEnabled ? yahoo.baseURL : nil, alphaVantage: alphaVantage.apiKey == nil ? nil : alphaVantage.baseURL,
            offline: offline))
        if server.dashboardDirectory != nil { lines.append("Open the dashboard: \(url)") }
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        logger.info("assets from \(found.origin)")

        await TerminationSignal.wait()
        logger.notice("shutting down")
        await hub.stop()
        await manager.stop()
        try? await httpClient.shutdown()
        await simulator?.stop()
    }
}

extension Tickhub {
    /// `$TICKHUB_DATA_DIR/tickhub.sqlite`, else under `$XDG_DATA_HOME/tickhub`, else `~/.local/share/tickhub`.
    static func defaultDatabasePath(_ environment: [String: String]) -> String {
        if let dir = environment["TICKHUB_DATA_DIR"], !dir.isEmpty { return dir + "/tickhub.sqlite" }
        if let dir = environment["XDG_DATA_HOME"], !dir.isEmpty { return dir + "/tickhub/tickhub.sqlite" }
        return (environment["HOME"] ?? ".") + "/.local/share/tickhub/tickhub.sqlite"
    }
}

/// The server, set once it exists; the manager's events before that have no one to go to.
final class HubBox: @unchecked Sendable {
    var server: TickhubServer?
}
