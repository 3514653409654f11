import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TWSSimulator
import TickhubCore
import TickhubProcess

@main
struct TickhubSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickhub-sim",
        abstract: "A TWS / IB Gateway simulator: real TWS socket protocol, simulated markets and portfolio.",
        discussion: """
            Connect any TWS API client to it (Tickhub, ib_async, the official ibapi). Faults are injected over \
            HTTP on the control port, e.g. `curl -X POST 127.0.0.1:<control>/fault/drop`; see docs/simulator.md.
            """,
        version: BuildInfo.description)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TWS API port (0 picks a free one; TWS paper uses 7497).") var port = 7497
    @Option(help: "HTTP control port for fault injection (0 picks a free one, -1 disables).") var controlPort = 0
    @Option(help: "Highest server version to negotiate.") var serverVersion = 176
    @Option(help: "TWS messages per second across all subscriptions.") var tickRate = 2_000.0
    @Option(help: "Milliseconds between tick rounds.") var tickIntervalMs = 10
    @Option(help: "Random seed; the same seed replays the same market.") var seed: UInt64 = 42
    @Option(help: "Market-data lines before error 101.") var lines = 100
    @Option(help: "Client messages per second before error 100 (0 turns pacing off).") var pacingLimit = 50
    @Option(help: "Add this many synthetic stocks S0001... to the universe.") var synthetic = 0
    @Option(help: "Comma-separated symbols with delayed data only (10089 live, 10167 delayed).") var delayedOnly = ""
    @Option(help: "Comma-separated symbols with no market-data entitlement (354 / 10168).") var unentitled = ""
    @Option(help: "Portfolio JSON (accounts, cash, positions); default: the built-in paper account.") var portfolio: String?
    @Option(help: "Seconds between account and portfolio updates to subscribers.") var accountUpdateInterval = 5.0
    @Option(help: "Simulated time to start at, ISO 8601 with an offset (e.g. 2026-12-02T10:00:00-05:00), or `open`: now while US stocks trade, else the last weekday's 10:00 New York (as the demo does); it runs on in real time. Default: the machine's clock.")
    var clock: String?
    @Option(help: "Daily volatility of FX pairs (a fraction: 0.005 is 0.5 %).") var fxVolatility = 0.005
    @Option(help: "Daily volatility of stocks without one of their own (over the 6.5-hour session).") var stockVolatility = 0.015
    @Option(help: "Daily volatility of crypto.") var cryptoVolatility = 0.03
    @Option(help: "Risk-free rate options are priced with (annualized fraction).") var rate = 0.04
    @Option(help: "Log level (env LOG_LEVEL; default notice).") var logLevel: Logger.Level?
    @Option(help: "HTTPS port of a Client Portal Gateway beside the TWS port (0 picks a free one; IBKR's gateway uses 5000; -1, the default, runs none).")
    var clientPortalPort = -1
    @Option(help: "Where to write the Client Portal certificate's PEM (default: a file in the temporary directory); the listening line names it.")
    var clientPortalCertOut: String?
    @Option(help: "Client Portal requests per second before HTTP 429 and the penalty box (0 turns pacing off).")
    var clientPortalRequestsPerSecond = 10
    @Option(help: "Seconds a client that broke the Client Portal's pacing gets only 429.") var clientPortalPenaltySeconds = 600.0
    @Option(help: "Seconds a Client Portal brokerage session lives before it expires.") var clientPortalSessionSeconds = 86_400.0
    @Option(help: "Seconds without a request before the Client Portal session times out (0: never).") var clientPortalIdleTimeout = 0.0
    @Option(help: "Seconds between the Client Portal WebSocket's system heartbeats.") var clientPortalHeartbeatSeconds = 10.0
    @Option(help: "Seconds a Client Portal stream subscription lasts unless smd is sent again (IBKR: 600; 0: for good).")
    var clientPortalSubscriptionSeconds = 600.0
    @Option(help: "Plain HTTP port of a simulated TastyTrade beside the TWS port (REST, account streamer at /streamer, DXLink at /dxlink; 0 picks a free one; -1, the default, runs none). Its demo credentials: client id \(TastyTradeSimulatorConfiguration.demoClientID), secret \(TastyTradeSimulatorConfiguration.demoClientSecret), refresh token \(TastyTradeSimulatorConfiguration.demoRefreshToken).")
    var tastytradePort = -1
    @Option(help: "Seconds a simulated TastyTrade access token lives (TastyTrade: 900).") var tastytradeTokenSeconds = 900.0
    @Option(help: "The level the simulated TastyTrade's quote tokens carry: api (real-time), or demo (the sandbox's, whose quotes are delayed).")
    var tastytradeQuoteLevel = "api"

    func validate() throws {
        if let clock, clock != "open", TradingCalendar.parse(clock) == nil {
            throw ValidationError("--clock '\(clock)' is not an ISO 8601 time with an offset, such as 2026-12-02T10:00:00-05:00")
        }
        for (flag, value) in [("--fx-volatility", fxVolatility), ("--stock-volatility", stockVolatility),
                              ("--crypto-volatility", cryptoVolatility)] where !(value >= 0 && value < 1) {
            throw ValidationError("\(flag) \(value) is not a daily volatility: give a fraction from 0 up to 1 (0.015 is 1.5 %)")
        }
        guard rate > -0.5, rate < 1 else { throw ValidationError("--rate \(rate) is not an annual rate: give a fraction such as 0.04") }
        guard clientPortalPort >= -1, clientPortalPort <= 65_535 else {
            throw ValidationError("--client-portal-port \(clientPortalPort) is not a port: give 0 to 65535, or -1 for none")
        }
        for (flag, value) in [("--client-portal-penalty-seconds", clientPortalPenaltySeconds),
                              ("--client-portal-session-seconds", clientPortalSessionSeconds),
                              ("--client-portal-idle-timeout", clientPortalIdleTimeout),
                              ("--client-portal-subscription-seconds", clientPortalSubscriptionSeconds)] where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(flag) \(value) is not a number of seconds (0 or more)")
        }
        guard clientPortalHeartbeatSeconds >= 1, clientPortalHeartbeatSeconds.isFinite else {
            throw ValidationError("--client-portal-heartbeat-seconds \(clientPortalHeartbeatSeconds): give 1 or more")
        }
        guard tastytradePort >= -1, tastytradePort <= 65_535 else {
            throw ValidationError("--tastytrade-port \(tastytradePort) is not a port: give 0 to 65535, or -1 for none")
        }
        guard tastytradeTokenSeconds >= 1, tastytradeTokenSeconds.isFinite else {
            throw ValidationError("--tastytrade-token-seconds \(tastytradeTokenSeconds): give 1 or more")
        }
        guard !tastytradeQuoteLevel.isEmpty, tastytradeQuoteLevel.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ValidationError("--tastytrade-quote-level '\(tastytradeQuoteLevel)': give a word such as api or demo")
        }
        guard clientPortalRequestsPerSecond >= 0 else {
            throw ValidationError("--client-portal-requests-per-second \(clientPortalRequestsPerSecond): give 0 (no pacing) or more")
        }
    }

    func run() async throws {
        ProcessLogging.bootstrap(level: try ProcessLogging.level(flag: logLevel, environment: ProcessInfo.processInfo.environment))
        var config = SimulatorConfiguration()
        config.host = host
        config.port = port
        config.serverVersion = serverVersion
        config.ticksPerSecond = tickRate
        config.tickIntervalMilliseconds = tickIntervalMs
        config.seed = seed
        config.marketDataLines = lines
        config.pacingLimit = pacingLimit
        config.universe.addSynthetic(count: synthetic)
        config.delayedOnlySymbols = Self.symbols(delayedOnly)
        config.unentitledSymbols = Self.symbols(unentitled)
        config.accountUpdateInterval = accountUpdateInterval
        config.clock = clock == "open" ? TradingCalendar.demoStart(now: Date()) : clock.flatMap(TradingCalendar.parse)
        config.volatility.forex = fxVolatility
        config.volatility.stock = stockVolatility
        config.volatility.crypto = cryptoVolatility
        config.riskFreeRate = rate
        if let portfolio {
            config.portfolio = try SimulatedPortfolio.load(from: URL(fileURLWithPath: portfolio))
        }

        let simulator = GatewaySimulator(configuration: config)
        let bound = try await simulator.start()
        let clientPortal = try await startClientPortal(simulator)
        let clientPortalLine = clientPortal.map {
            " clientportal=\($0.port) clientportalCert=\($0.gateway.configuration.certificateOutputPath ?? "")"
        } ?? ""
        let tastyTrade = try await startTastyTrade(simulator)
        let tastyTradeLine = tastyTrade.map { " tastytrade=\($0.port)" } ?? ""
        var controlLine = ""
        if controlPort >= 0 {
            let control = try await SimulatorControlServer.start(
                simulator: simulator, clientPortal: clientPortal?.gateway, tastyTrade: tastyTrade?.simulator, host: host, port: controlPort,
                group: MultiThreadedEventLoopGroup.singleton)
            controlLine = " control=\(control.localAddress?.port ?? 0)"
        }
        // One parseable line for scripts and tests that start us on port 0.
        let started = config.clock ?? Date()
        let line = "tickhub-sim: listening host=\(host) port=\(bound)\(controlLine) serverVersion=\(serverVersion) clock=\(TradingCalendar.format(started))\(clientPortalLine)\(tastyTradeLine)\n"
        FileHandle.standardOutput.write(Data(line.utf8))

        try await ProcessLifecycle.run([.init("simulator") {
            await clientPortal?.gateway.stop()
            await tastyTrade?.simulator.stop()
            await simulator.stop()
        }], logger: Logger(label: "tickhub-sim"))
    }

    /// The Client Portal gateway beside the TWS port when `--client-portal-port` asks for one, started.
    func startClientPortal(_ simulator: GatewaySimulator) async throws -> (gateway: ClientPortalGateway, port: Int)? {
        guard clientPortalPort >= 0 else { return nil }
        var portal = ClientPortalConfiguration()
        portal.host = host
        portal.port = clientPortalPort
        portal.requestsPerSecond = clientPortalRequestsPerSecond
        portal.penaltySeconds = clientPortalPenaltySeconds
        portal.sessionSeconds = clientPortalSessionSeconds
        portal.idleTimeoutSeconds = clientPortalIdleTimeout
        portal.heartbeatSeconds = clientPortalHeartbeatSeconds
        portal.subscriptionSeconds = clientPortalSubscriptionSeconds
        portal.certificateOutputPath = clientPortalCertOut ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("tickhub-sim-clientportal-\(ProcessInfo.processInfo.processIdentifier).pem").path
        let gateway = try ClientPortalGateway(simulator: simulator, configuration: portal)
        return (gateway, try await gateway.start())
    }

    /// The simulated TastyTrade beside the TWS port when `--tastytrade-port` asks for one, started.
    func startTastyTrade(_ simulator: GatewaySimulator) async throws -> (simulator: TastyTradeSimulator, port: Int)? {
        guard tastytradePort >= 0 else { return nil }
        var configuration = TastyTradeSimulatorConfiguration()
        configuration.host = host
        configuration.port = tastytradePort
        configuration.tokenSeconds = tastytradeTokenSeconds
        configuration.quoteLevel = tastytradeQuoteLevel
        let tastyTrade = TastyTradeSimulator(simulator: simulator, configuration: configuration)
        return (tastyTrade, try await tastyTrade.start())
    }

    static func symbols(_ list: String) -> Set<String> {
        Set(list.split(separator: ",").compactMap { try? SymbolGrammar.parse(String($0)).symbol })
    }
}
