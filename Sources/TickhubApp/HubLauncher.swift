import AsyncHTTPClient
import Foundation
import Hub
import IBKR
import Logging
import LwsHost
import MarketData
import NIOPosix
import Portfolio
import Store
import Synchronization
import TWSSimulator
import TickhubCore
import TickhubProcess

/// What the `tickhub` command line says; nil leaves the setting to the file, the environment or the default.
public struct HubCommandLine: Sendable {
    public var config: String?
    public var listen: String?
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
    public var offline = false

    public init() {}
}

/// The hub as a process: configuration layered (defaults, file, environment, flags), every part built and wired,
/// started in an order that fails early (the port before TWS hears from us), and stopped in the reverse order.
public struct HubLauncher {
    let options: HubCommandLine
    let environment: [String: String]
    let logger = Logger(label: "tickhub")

    public init(_ commandLine: HubCommandLine, environment: [String: String] = ProcessInfo.processInfo.environment) {
        options = commandLine
        self.environment = environment
    }

    public func run() async throws {
        let file = try options.config.map(HubConfigurationFile.load)

        // Defaults, then the file, then the environment, then flags.
        var server = ServerConfiguration()
        try file?.apply(to: &server)
        var ibkr = file?.ibkr ?? IBKRConfiguration()
        ibkr = try ibkr.applyingEnvironment(environment)
        if let listen = options.listen { (server.host, server.port) = try ListenAddress.parse(listen) }
        server.host = try ListenAddress.resolve(server.host)
        if let host = options.ibkrHost { ibkr.host = host }
        if let port = options.ibkrPort { ibkr.port = port }
        if let clientId = options.ibkrClientId { ibkr.clientId = clientId }
        if let account = options.ibkrAccount { ibkr.accountId = account }
        try ibkr.validate()
        if let token = environment["TICKHUB_TOKEN"], !token.isEmpty { server.token = token }
        guard server.isLoopback || server.token != nil else {
            throw ConfigurationError("listening on \(server.host) exposes market data beyond this machine: set TICKHUB_TOKEN first")
        }
        if let tls = server.tls { try TLSFiles.check(tls) }
        let found = try Assets.locate(explicit: options.assets ?? environment["TICKHUB_ASSETS"], requireDashboard: !options.noDashboard)
        server.dashboardDirectory = options.noDashboard ? nil : found.dashboard
        server.docsDirectory = found.openAPIDirectory

        var parts: [ProcessLifecycle.Part] = []
        // The simulator is part of this process, not an outside connection: it only has to exist before IBKR's
        // configuration is final. Nothing connects anywhere until the server is listening.
        if options.demo {
            var simulation = SimulatorConfiguration()
            simulation.port = 0
            simulation.ticksPerSecond = 400
            if let path = found.demoPortfolio {
                simulation.portfolio = try SimulatedPortfolio.load(from: URL(fileURLWithPath: path))
            }
            let simulator = GatewaySimulator(configuration: simulation, logger: Logger(label: "tickhub.sim"))
            ibkr.host = "127.0.0.1"
            ibkr.port = try await simulator.start()
            parts.append(.init("simulator") { await simulator.stop() })
            logger.notice("demo: TWS simulator on 127.0.0.1:\(ibkr.port)")
        }

        // HTTP fallbacks: defaults, file, environment, flags; the Alpha Vantage key only from the environment.
        var yahoo = YahooProvider.Configuration()
        var yahooEnabled = true
        file?.apply(to: &yahoo, enabled: &yahooEnabled)
        if options.offline { yahooEnabled = false }
        if let url = environment["YAHOO_BASE_URL"], !url.isEmpty { yahoo.baseURL = url }
        if let url = options.yahooBaseURL { yahoo.baseURL = url }
        var alphaVantage = AlphaVantageProvider.Configuration()
        file?.apply(to: &alphaVantage)
        if let url = environment["ALPHAVANTAGE_BASE_URL"], !url.isEmpty { alphaVantage.baseURL = url }
        if let url = options.alphaVantageBaseURL { alphaVantage.baseURL = url }
        alphaVantage.apiKey = options.offline ? nil : environment["ALPHAVANTAGE_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
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
        let slot = ServerSlot()
        let manager = DataProviderManager(configuration: managerConfiguration, providers: feeds) { event in
            if let hub = slot.server { ProviderUpstream.forward(event, to: hub) }
        }
        // Positions live in one SQLite file: --db, else the config file's `db`, else the data directory.
        let databasePath = options.db ?? file?.databasePath ?? Self.defaultDatabasePath(environment)
        let store: PositionStore
        do {
            store = try PositionStore(path: databasePath)
        } catch {
            throw ConfigurationError("cannot use the database \(databasePath): \(error)")
        }
        let portfolio = PortfolioService(store: store) { broker, holdings in
            slot.server?.publishHoldings(broker: broker, holdings)
        }
        let link = IBKRLink(ibkr: provider)
        let wiring = HubWiring(
            upstream: ProviderUpstream(manager: manager, pushed: pushed), connection: link, archive: portfolio, features: [portfolio])
        let hub = TickhubServer(configuration: server, wiring: wiring)
        slot.server = hub
        // A port that cannot be had ends the run here, before TWS or any provider hears from us.
        let port = try await hub.start()
        await link.reportStatus(to: hub)
        await link.reportPortfolio(to: hub, keptBy: portfolio)
        await portfolio.publishStored()
        // Last run's prices, stale until a provider refreshes them.
        for quote in await portfolio.lastQuotes() { hub.publish(quote) }
        await manager.start()
        parts.append(.init("providers") {
            await manager.stop()
            try? await httpClient.shutdown()
        })
        parts.append(.init("server") { [logger] in
            logger.notice("shutting down")
            await hub.stop()
        })

        let url = server.url(port: port)
        // One parseable line for scripts and tests, then the human ones.
        var lines = ["tickhub: listening url=\(url) port=\(port)"]
        if options.demo {
            lines.append("IBKR: the built-in TWS simulator on 127.0.0.1:\(ibkr.port) (demo)")
        } else {
            lines.append("IBKR: TWS / IB Gateway at \(ibkr.host):\(ibkr.port), client id \(ibkr.clientId)")
        }
        lines.append(contentsOf: OutsideServices.describe(
            yahoo: yahooEnabled ? yahoo.baseURL : nil, alphaVantage: alphaVantage.apiKey == nil ? nil : alphaVantage.baseURL,
            offline: options.offline))
        if server.dashboardDirectory != nil { lines.append("Open the dashboard: \(url)") }
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        logger.info("assets from \(found.origin)")

        // The server stops first (no new clients, 1001 to those there), then the providers, then the simulator.
        try await ProcessLifecycle.run(parts, logger: logger)
    }

    /// `$TICKHUB_DATA_DIR/tickhub.sqlite`, else under `$XDG_DATA_HOME/tickhub`, else `~/.local/share/tickhub`.
    static func defaultDatabasePath(_ environment: [String: String]) -> String {
        if let dir = environment["TICKHUB_DATA_DIR"], !dir.isEmpty { return dir + "/tickhub.sqlite" }
        if let dir = environment["XDG_DATA_HOME"], !dir.isEmpty { return dir + "/tickhub/tickhub.sqlite" }
        return (environment["HOME"] ?? ".") + "/.local/share/tickhub/tickhub.sqlite"
    }
}

/// The server, set once it exists: the manager's and the portfolio's events before that have no one to go to.
final class ServerSlot: Sendable {
    private let stored = Mutex<TickhubServer?>(nil)

    var server: TickhubServer? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
