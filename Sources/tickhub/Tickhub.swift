import ArgumentParser
import CPollRearm
import CRecvTap
import Foundation
import Logging
import TickhubApp
import TickhubMetrics
import TickhubProcess

@main
struct Tickhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickhub",
        abstract: "Real-time market data from IBKR, fanned out to dashboards and bots over WebSocket and HTTP.",
        version: BuildInfo.description)

    @Option(help: "JSON configuration file (see config/tickhub.example.json).") var config: String?
    @Option(help: "Address and port to serve HTTP and WebSocket on (IPv4; port 0 picks a free one).") var listen: String?
    @Option(help: "Service threads sharing the port, each with its own clients (default: one per core).") var threads: Int?
    @Option(help: "How IBKR is reached: tws (TWS / IB Gateway, the default) or clientportal (the Client Portal gateway; env IBKR_TRANSPORT).") var ibkrTransport: String?
    @Option(help: "TWS / IB Gateway host (or the Client Portal gateway's).") var ibkrHost: String?
    @Option(help: "TWS / IB Gateway port (7497 TWS paper, 7496 live, 4002 / 4001 IB Gateway; the Client Portal gateway's is 5000).") var ibkrPort: Int?
    @Option(help: "API client id; unique per connection to TWS.") var ibkrClientId: Int?
    @Option(help: "IBKR account for account updates and P&L.") var ibkrAccount: String?
    @Option(help: "Yahoo Finance base URL (default https://query1.finance.yahoo.com; env YAHOO_BASE_URL).") var yahooBaseUrl: String?
    @Option(help: "Alpha Vantage base URL (default https://www.alphavantage.co; env ALPHAVANTAGE_BASE_URL).") var alphavantageBaseUrl: String?
    @Option(help: "SQLite database file.") var db: String?
    @Option(help: "Directory with the dashboard and other assets (env TICKHUB_ASSETS; see docs/configuration.md).") var assets: String?
    @Flag(help: "Serve the HTTP and WebSocket API without the dashboard.") var noDashboard = false
    @Flag(help: "Start a TWS simulator and a TastyTrade simulator on free loopback ports and connect to them.") var demo = false
    @Flag(inversion: .prefixedNo, help: "With --demo: simulate TastyTrade too (its positions, balances and DXLink quotes), with the simulator's own credentials.") var demoTastytrade = true
    @Flag(help: "Call no outside service: Yahoo Finance, Alpha Vantage and TastyTrade stay off (a TastyTrade on this machine, such as the demo's simulator, stays on).") var offline = false
    @Option(help: "Judge market sessions as if it were this time now (ISO 8601, e.g. 2026-12-02T10:00:00-05:00): for a simulator started with --clock; with --demo, the demo's simulator starts at it.") var marketClock: String?
    @Option(help: "This process's part: all (the default: one process), ingest (runs the providers while it leads, relays over NATS) or edge (serves clients from NATS; env TICKHUB_ROLE).") var role: String?
    @Option(help: "The NATS server for --role ingest or edge (default nats://127.0.0.1:4222; env NATS_URL; credentials from NATS_USER and NATS_PASSWORD, or NATS_TOKEN).") var natsUrl: String?
    @Option(help: "The prefix of every NATS subject and bucket (default tickhub).") var natsPrefix: String?
    @Option(help: "Log level (env LOG_LEVEL; default notice).") var logLevel: Logger.Level?

    func run() async throws {
        ProcessLogging.bootstrap(level: try ProcessLogging.level(flag: logLevel, environment: ProcessInfo.processInfo.environment))
        ProcessMetrics.bootstrap(version: BuildInfo.version, commit: BuildInfo.commit)
        // A database that reaches the file-size limit (ulimit -f) fails its writes, which health reports; by
        // default the kernel's SIGXFSZ would kill the hub and every client with it.
        signal(SIGXFSZ, SIG_IGN)
        recv_tap_install()
        if poll_rearm_active() == 0 {
            Logger(label: "tickhub").info("libuv is not 1.44: lws's poll changes go through uv_poll_start's stop and start")
        }
        var options = HubCommandLine()
        options.config = config
        options.listen = listen
        options.threads = threads
        options.ibkrTransport = ibkrTransport
        options.ibkrHost = ibkrHost
        options.ibkrPort = ibkrPort
        options.ibkrClientId = ibkrClientId
        options.ibkrAccount = ibkrAccount
        options.yahooBaseURL = yahooBaseUrl
        options.alphaVantageBaseURL = alphavantageBaseUrl
        options.db = db
        options.assets = assets
        options.noDashboard = noDashboard
        options.demo = demo
        options.demoTastyTrade = demoTastytrade
        options.offline = offline
        options.marketClock = marketClock
        options.role = role
        options.natsURL = natsUrl
        options.natsPrefix = natsPrefix
        try await HubLauncher(options).run()
    }
}
