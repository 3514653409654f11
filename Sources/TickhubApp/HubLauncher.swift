import Alerts
import Charts
import AsyncHTTPClient
import Configuration
import Foundation
import Hub
import IBKR
import IBKRClientPortal
import Logging
import LwsHost
import MarketData
import NIOPosix
import Portfolio
import Store
import Synchronization
import TastyTradeBroker
import TWSSimulator
import TickhubCore
import TickhubProcess

/// The hub as a process: configuration read (flags over the environment over the file over the defaults), every
/// part built and wired, started in an order that fails early (the port before TWS hears from us), and stopped in
/// the reverse order.
public struct HubLauncher {
    let options: HubCommandLine
    let environment: [String: String]
    let logger = Logger(label: "tickhub")

    public init(_ commandLine: HubCommandLine, environment: [String: String] = ProcessInfo.processInfo.environment) {
        options = commandLine
        self.environment = environment
    }

    public func run() async throws {
        let file = try options.config.map(ConfigurationFile.load)
        let sources = ConfigurationSources(commandLine: options, environment: environment, file: file)
        let config = sources.reader
        let settings = try sources.settings()

        var server = settings.server
        server.host = try ListenAddress.resolve(server.host)
        var ibkr = settings.ibkr
        guard server.isLoopback || server.token != nil else {
            throw ConfigurationError("listening on \(server.host) exposes market data beyond this machine: set TICKHUB_TOKEN first")
        }
        if let tls = server.tls { try TLSFiles.check(tls) }
        let found = try Assets.locate(explicit: config.string(forKey: "assets"), requireDashboard: !options.noDashboard)
        server.dashboardDirectory = options.noDashboard ? nil : found.dashboard
        server.docsDirectory = found.openAPIDirectory

        var parts: [ProcessLifecycle.Part] = []
        // The simulator is part of this process, not an outside connection: it only has to exist before IBKR's
        // configuration is final. Nothing connects anywhere until the server is listening.
        let marketClock = try options.marketClock.map { text in
            guard let date = TradingCalendar.parse(text) else {
                throw ConfigurationError("--market-clock \"\(text.prefix(64))\" is not an ISO 8601 time with an offset, such as 2026-12-02T10:00:00-05:00")
            }
            return date
        }
        if let marketClock {
            MarketClock.follow(marketClock)
            logger.notice("market sessions are judged as if it were \(TradingCalendar.newYorkDescription(marketClock)) now")
        }
        if settings.scaleOut.role == .edge {
            // An edge has no providers, no database and no simulator: what it serves comes over NATS.
            guard !options.demo else { throw ConfigurationError("--demo starts a simulator, and an edge has none: give --demo to an ingest") }
            return try await EdgeLaunch.run(settings.scaleOut, server: server, logger: logger)
        }
        var demoSimulator: GatewaySimulator?
        if options.demo {
            var simulation = SimulatorConfiguration()
            simulation.port = 0
            simulation.ticksPerSecond = 400
            if let path = found.demoPortfolio {
                simulation.portfolio = try SimulatedPortfolio.load(from: URL(fileURLWithPath: path))
            }
            // A demo that looks dead on a weekend is a poor first one: outside the US session the simulated clock
            // starts inside the last one.
            simulation.clock = marketClock ?? TradingCalendar.demoStart(now: Date())
            if let clock = simulation.clock {
                MarketClock.follow(clock)
                logger.notice("demo: US markets are shut now; the simulator's clock starts at \(TradingCalendar.newYorkDescription(clock)) so the market is open, and quotes' marketOpen is judged on that clock")
            }
            let simulator = GatewaySimulator(configuration: simulation, logger: Logger(label: "tickhub.sim"))
            demoSimulator = simulator
            ibkr.host = "127.0.0.1"
            ibkr.port = try await simulator.start()
            parts.append(.init("simulator") { await simulator.stop() })
            logger.notice("demo: TWS simulator on 127.0.0.1:\(ibkr.port)")
            if ibkr.transport == .clientPortal {
                // The simulator's Client Portal gateway, serving the same market, on a free loopback port.
                var portal = ClientPortalConfiguration()
                portal.host = "127.0.0.1"
                portal.port = 0
                let gateway = try ClientPortalGateway(simulator: simulator, configuration: portal)
                ibkr.port = try await gateway.start()
                parts.append(.init("client portal simulator") { await gateway.stop() })
                logger.notice("demo: Client Portal gateway simulator on https://127.0.0.1:\(ibkr.port)")
            }
        }

        var tastytrade = settings.tastytrade
        if let simulator = demoSimulator, options.demoTastyTrade {
            // The demo's TastyTrade is the simulator, on the same market, and always with the simulator's own grant:
            // a real one in the environment never goes to it.
            let tastySimulator = TastyTradeSimulator(simulator: simulator)
            let port = try await tastySimulator.start()
            parts.append(.init("tastytrade simulator") { await tastySimulator.stop() })
            tastytrade.configuration.baseURL = "http://127.0.0.1:\(port)"
            tastytrade.configuration.streamerURL = "ws://127.0.0.1:\(port)/streamer"
            tastytrade.credentials = TastyTradeCredentials(
                clientID: TastyTradeSimulatorConfiguration.demoClientID, clientSecret: TastyTradeSimulatorConfiguration.demoClientSecret,
                refreshToken: TastyTradeSimulatorConfiguration.demoRefreshToken)
            logger.notice("demo: TastyTrade simulator on http://127.0.0.1:\(port)")
        }

        // --offline keeps every outside service off, whatever the settings say.
        var yahoo = settings.yahoo
        var alphaVantage = settings.alphaVantage
        // TastyTrade too, unless it is on this machine (the demo's simulator, or one a test runs).
        let offlineTastyTrade = options.offline && !tastytrade.configuration.isOnThisMachine && tastytrade.credentials != nil
        if options.offline {
            yahoo.enabled = false
            alphaVantage.apiKey = nil
            if offlineTastyTrade { tastytrade.credentials = nil }
        }
        // Publishers: enabled by their token; last in line unless the order names push somewhere else.
        var managerConfiguration = settings.providers
        var push = settings.push
        push.enabled = server.publishToken != nil
        if push.enabled, !managerConfiguration.policy.order.contains(.push) { managerConfiguration.policy.order.append(.push) }
        let pushed = PushProvider(configuration: push)

        // A provider that cannot even be reached should say so in seconds, not after a long connect retry.
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(3), read: .seconds(10))
        let httpClient = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        // TastyTrade's sync, and its quote provider through the same grant, exist only with a grant.
        let tastySync = tastytrade.credentials.map {
            TastyTradeSync(configuration: tastytrade.configuration, credentials: $0, client: httpClient, logger: Logger(label: "tickhub.tastytrade"))
        }
        let provider: any IBKRTransport
        switch ibkr.transport {
        case .tws:
            provider = IBKRProvider(configuration: ibkr)
        case .clientPortal:
            do { provider = try ClientPortalProvider(configuration: ibkr) } catch { throw ConfigurationError("\(error)") }
        }
        var feeds: [any MarketDataProvider] = [IBKRMarketDataProvider(provider)]
        if yahoo.enabled { feeds.append(YahooProvider(configuration: yahoo, client: httpClient)) }
        if let tastySync {
            feeds.append(TastyTradeQuoteProvider(configuration: tastytrade.quotes, quoteToken: { try await tastySync.quoteToken() }))
        }
        feeds.append(AlphaVantageProvider(configuration: alphaVantage, client: httpClient))
        feeds.append(pushed)
        let slot = ServerSlot()
        let manager = DataProviderManager(configuration: managerConfiguration, providers: feeds) { event in
            if let hub = slot.server { ProviderUpstream.forward(event, to: hub, alerts: slot.alerts, charts: slot.charts) }
        }
        // Positions live in one SQLite file: --db, else the config file's `db`, else the data directory.
        let databasePath = settings.databasePath ?? Self.defaultDatabasePath(config)
        let store: PositionStore
        do {
            store = try PositionStore(path: databasePath)
        } catch {
            throw ConfigurationError("cannot use the database \(databasePath): \(error)")
        }
        let portfolio = PortfolioService(store: store) { broker, holdings, unvalued in
            slot.server?.publishHoldings(broker: broker, holdings, unvalued: unvalued)
        }
        let alerts = AlertDesk(
            store: store, httpClient: httpClient, configuration: settings.alerts,
            publish: { slot.server?.publishAlert($0) }, follow: { slot.server?.followStanding($0, owner: "alerts") })
        slot.alerts = alerts
        // Charts backfill from the providers the manager may use, in its order (Yahoo's chart when IBKR has no
        // history for a symbol), and keep what they fetched in the same database.
        let historical = managerConfiguration.policy.order.compactMap { source in
            feeds.first { $0.name == source } as? any HistoricalBarProvider
        }
        let charts = ChartDesk(history: ChartSources(providers: historical), archive: store)
        slot.charts = charts
        // Bars older than any chart may ask for go at each start; the store never grows past what charts can use.
        await charts.pruneKeptBars()
        let link = IBKRLink(ibkr: provider)
        // An ingest relays every event the hub publishes over NATS while it leads; made before the hub, which takes it.
        let ingest = settings.scaleOut.role == .ingest ? try await IngestLaunch.connect(settings.scaleOut, logger: logger) : nil
        let wiring = HubWiring(
            upstream: ProviderUpstream(manager: manager, pushed: pushed), connection: link, archive: portfolio,
            features: [portfolio, alerts, charts], charts: charts, scaleOut: ingest?.relay)
        let hub = TickhubServer(configuration: server, wiring: wiring, relay: ingest?.relay.feed)
        slot.server = hub
        charts.publish(to: ChartDesk.Publisher(
            series: { key, bars, source, complete in hub.publishBarSeries(key, bars: bars, source: source, lastComplete: complete) },
            bar: { key, bar, source in hub.publishBar(key, bar, source: source) }))
        // A port that cannot be had ends the run here, before TWS or any provider hears from us.
        let port = try await hub.start()
        // The rules' symbols are followed before the providers start, so their first quotes are evaluated.
        do { try await alerts.start() } catch { throw ConfigurationError("cannot load the alert rules from \(databasePath): \(error)") }
        await link.reportStatus(to: hub)
        await link.reportPortfolio(to: hub, keptBy: portfolio)
        let tastyLink = tastySync.map(TastyTradeLink.init(sync:))
        await tastyLink?.start(server: hub, portfolio: portfolio)
        await portfolio.publishStored()
        // Last run's prices, stale until a provider refreshes them.
        for quote in await portfolio.lastQuotes() { hub.publish(quote) }
        // An ingest starts its providers only while it leads: the relay starts them.
        let stopIngest = try ingest?.start(server: hub, configuration: server, port: port, link: link, manager: manager)
        if ingest == nil { await manager.start() }
        parts.append(.init("providers") {
            await manager.stop()
            await alerts.stop()
            try? await httpClient.shutdown()
        })
        // Stopped before the providers, whose HTTP client it shares.
        if let tastyLink { parts.append(.init("tastytrade") { await tastyLink.stop() }) }
        // Stopped before the providers: the lead is given up first, so a standby takes over at once.
        if let stopIngest { parts.append(.init("relay", stop: stopIngest)) }
        parts.append(.init("server") { [logger] in
            logger.notice("shutting down")
            await hub.stop()
        })

        let url = server.url(port: port)
        // One parseable line for scripts and tests, then the human ones.
        var lines = ["tickhub: listening url=\(url) port=\(port) threads=\(server.threads)"]
        if options.demo {
            let simulated = ibkr.transport == .clientPortal ? "Client Portal gateway simulator on https://" : "TWS simulator on "
            lines.append("IBKR: the built-in \(simulated)127.0.0.1:\(ibkr.port) (demo)")
        } else if ibkr.transport == .clientPortal {
            lines.append("IBKR: the Client Portal gateway at https://\(ibkr.host):\(ibkr.port) (log in there in a browser)")
        } else {
            lines.append("IBKR: TWS / IB Gateway at \(ibkr.host):\(ibkr.port), client id \(ibkr.clientId)")
        }
        if let tastySync {
            let demo = options.demo && options.demoTastyTrade ? " (the demo's simulator, with its own credentials)" : ""
            lines.append("TastyTrade: \(tastySync.configuration.baseURL), streamer \(tastySync.configuration.streamerURL)\(demo)")
        } else {
            lines.append(offlineTastyTrade ? "TastyTrade: off (--offline)"
                : "TastyTrade: off (set TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN to sync it)")
        }
        lines.append(contentsOf: OutsideServices.describe(
            yahoo: yahoo.enabled ? yahoo.baseURL : nil, alphaVantage: alphaVantage.apiKey == nil ? nil : alphaVantage.baseURL,
            offline: options.offline))
        if ingest != nil {
            lines.append("Role: ingest \(settings.scaleOut.name) on NATS \(settings.scaleOut.url) (prefix \(settings.scaleOut.subjects.prefix)); providers run only while it leads (leader lease \(settings.scaleOut.leaderSeconds) s)")
        }
        if server.dashboardDirectory != nil { lines.append("Open the dashboard: \(url)") }
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        logger.info("assets from \(found.origin)")

        // The server stops first (no new clients, 1001 to those there), then the providers, then the simulator.
        try await ProcessLifecycle.run(parts, logger: logger)
    }

    /// `$TICKHUB_DATA_DIR/tickhub.sqlite`, else under `$XDG_DATA_HOME/tickhub`, else `~/.local/share/tickhub`
    /// (empty variables count as unset).
    static func defaultDatabasePath(_ config: ConfigReader) -> String {
        if let dir = config.string(forKey: "dataDirectory") { return dir + "/tickhub.sqlite" }
        if let dir = config.string(forKey: "xdgDataHome") { return dir + "/tickhub/tickhub.sqlite" }
        return config.string(forKey: "home", default: ".") + "/.local/share/tickhub/tickhub.sqlite"
    }
}

/// The server, set once it exists: the manager's and the portfolio's events before that have no one to go to; and
/// the desks that see every quote the server is given (the price alerts, the charts' forming candles).
final class ServerSlot: Sendable {
    struct Parts {
        var server: TickhubServer?
        var alerts: AlertDesk?
        var charts: ChartDesk?
    }

    private let parts = Mutex(Parts())

    var server: TickhubServer? {
        get { parts.withLock { $0.server } }
        set { parts.withLock { $0.server = newValue } }
    }

    var alerts: AlertDesk? {
        get { parts.withLock { $0.alerts } }
        set { parts.withLock { $0.alerts = newValue } }
    }

    var charts: ChartDesk? {
        get { parts.withLock { $0.charts } }
        set { parts.withLock { $0.charts = newValue } }
    }
}
