import ArgumentParser
import AsyncHTTPClient
import Foundation
import IBKR
import Logging
import MarketData
import NIOPosix
import Portfolio
import Store
import TWSSimulator
import TickhubCore
import TickhubServer

@main
struct Tickhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickhub",
        abstract: "Real-time market data from IBKR, fanned out to dashboards and bots over WebSocket and HTTP.")

    @Option(help: "JSON configuration file (see config/tickhub.example.json).") var config: String?
    @Option(help: "Address and port to serve HTTP and WebSocket on.") var listen: String?
    @Option(help: "TWS / IB Gateway host.") var ibkrHost: String?
    @Option(help: "TWS / IB Gateway port (7497 TWS paper, 7496 live, 4002 / 4001 IB Gateway).") var ibkrPort: Int?
    @Option(help: "API client id; unique per connection to TWS.") var ibkrClientId: Int?
    @Option(help: "IBKR account for account updates and P&L.") var ibkrAccount: String?
    @Option(help: "Yahoo Finance base URL (default https://query1.finance.yahoo.com; env YAHOO_BASE_URL).") var yahooBaseUrl: String?
    @Option(help: "Alpha Vantage base URL (default https://www.alphavantage.co; env ALPHAVANTAGE_BASE_URL).") var alphavantageBaseUrl: String?
    @Option(help: "SQLite database file.") var db: String?
    @Flag(help: "Start a TWS simulator on a free loopback port and connect to it.") var demo = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tickhub")
        let environment = ProcessInfo.processInfo.environment
        let file = try config.map(HubConfigurationFile.load)

        // Defaults, then the file, then the environment, then flags.
        var server = ServerConfiguration()
        try file?.apply(to: &server)
        var ibkr = file?.ibkr ?? IBKRConfiguration()
        ibkr = try ibkr.applyingEnvironment(environment)
        if let listen { (server.host, server.port) = try HubConfigurationFile.parseListen(listen) }
        if let ibkrHost { ibkr.host = ibkrHost }
        if let ibkrPort { ibkr.port = ibkrPort }
        if let ibkrClientId { ibkr.clientId = ibkrClientId }
        if let ibkrAccount { ibkr.accountId = ibkrAccount }
        if let token = environment["TICKHUB_TOKEN"], !token.isEmpty { server.token = token }
        guard server.isLoopback || server.token != nil else {
            throw ConfigurationError("listening on \(server.host) exposes market data beyond this machine: set TICKHUB_TOKEN first")
        }
        let root = ProjectFiles.root()
        server.dashboardDirectory = root.map { $0 + "/clients/dashboard" }
        server.docsDirectory = root.map { $0 + "/docs" }

        var simulator: TWSSimulator?
        if demo {
            var simulation = SimulatorConfiguration()
            simulation.port = 0
            simulation.ticksPerSecond = 400
            if let root, let portfolio = try? SimulatedPortfolio.load(from: URL(fileURLWithPath: root + "/config/sim-portfolio.json")) {
                simulation.portfolio = portfolio
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
        if let url = environment["YAHOO_BASE_URL"], !url.isEmpty { yahoo.baseURL = url }
        if let yahooBaseUrl { yahoo.baseURL = yahooBaseUrl }
        var alphaVantage = AlphaVantageProvider.Configuration()
        file?.apply(to: &alphaVantage)
        if let url = environment["ALPHAVANTAGE_BASE_URL"], !url.isEmpty { alphaVantage.baseURL = url }
        if let alphavantageBaseUrl { alphaVantage.baseURL = alphavantageBaseUrl }
        alphaVantage.apiKey = environment["ALPHAVANTAGE_API_KEY"]
        var managerConfiguration = DataProviderManager.Configuration()
        try file?.apply(to: &managerConfiguration)
        if let order = environment["TICKHUB_PROVIDERS"], !order.isEmpty {
            managerConfiguration.policy.order = try order.split(separator: ",").map { name in
                guard let provider = ProviderName(rawValue: String(name)) else {
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
        let databasePath = db ?? file?.db ?? Self.defaultDatabasePath(environment)
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
        let port = try await hub.start()
        await backend.reportIBKRStatus(to: hub)
        await backend.reportPortfolio(to: hub)
        await portfolio.publishStored()
        // Last run's prices, stale until a provider refreshes them.
        for quote in await portfolio.lastQuotes() { hub.publish(quote) }
        await manager.start()

        let url = "http://\(server.host.contains(":") ? "[\(server.host)]" : server.host):\(port)/"
        // One parseable line for scripts and tests, then the human one.
        FileHandle.standardOutput.write(Data("tickhub: listening url=\(url) port=\(port)\n".utf8))
        if demo { FileHandle.standardOutput.write(Data("Open the dashboard: \(url)\n".utf8)) }

        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        logger.notice("shutting down")
        sources.forEach { $0.cancel() }
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
