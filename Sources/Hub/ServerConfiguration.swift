import Configuration
import Foundation
import TickhubCore

/// The server's limits and listening address. Defaults in one place, documented in config/tickhub.example.json;
/// `init(config:)` reads the `server` section over them.
public struct ServerConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Service threads (shards), each with its own lws context and libuv loop and the clients the kernel gives its
    /// listening socket, all on `port`. One per core: lws serves a context from one thread only.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Required when listening on anything but loopback; checked on WebSocket upgrade and every /api call.
    public var token: String?
    /// `TICKHUB_PUBLISH_TOKEN`: publishers present it on `/publish` and `POST /api/market-data/publish`;
    /// without it publishing is refused.
    public var publishToken: String?
    /// A publisher's message may be this large: arrays of thousands of quotes are normal for a feed.
    public var maxPublishBytes = 1 << 20
    /// Browser origins allowed, besides the hub's own, to open /stream and to send state-changing requests
    /// (BrowserGuard), and to read the API's answers (CORS, `CrossOrigin`); e.g. `https://dashboard.example.net`.
    /// Read as `scheme://host[:port]`; empty adds no CORS header anywhere.
    public var allowedOrigins: [String] = []
    /// Names the hub answers to in `Host`, besides its listen address (and `localhost` on loopback): the names a
    /// proxy or DNS gives it. Anything else is refused, which is what stops DNS rebinding.
    public var allowedHosts: [String] = []
    public var maxSymbolsPerClient = 1_000
    /// Bar series one `/stream` client may follow: each holds a copy of up to 2,000 bars on every shard and a chart
    /// upstream, so far fewer than symbols.
    public var maxBarSeriesPerClient = 100
    /// Incoming WebSocket messages above this close the connection with 1009.
    public var maxMessageBytes = 64 * 1024
    /// A client that has not taken a write for this long is closed with 1013.
    public var slowClientSeconds = 30.0
    /// Ping after this much silence; close after `idleHangupSeconds` without a pong.
    public var pingIdleSeconds = 30
    public var idleHangupSeconds = 60
    /// How long `GET /api/market-data/quote/{symbol}` waits for a first quote of a new symbol.
    public var firstQuoteWaitSeconds = 2.0
    /// A symbol no client streams and no HTTP request asked for in this long is released upstream
    /// (its market-data line freed) and forgotten.
    public var releaseIdleSymbolsSeconds = 60.0
    /// How often P&L totals are recorded for the history chart.
    public var snapshotSeconds = 60.0
    /// P&L pushes per second to each `pnl` subscriber, at most.
    public var pnlPerSecond = 4.0
    /// Symbols the hub follows upstream at most, across every client and HTTP request; held symbols have a budget
    /// of the same size of their own, so no client can crowd P&L out, and no pile of imports can grow it unbounded.
    public var maxUpstreamSymbols = 2_000
    /// Distinct symbols one `GET /api/market-data/quotes` may ask for.
    public var maxSymbolsPerRequest = 1_000
    /// Positions one CSV import may hold: each is a symbol the hub then follows.
    public var maxSymbolsPerImport = 2_000
    /// Error messages waiting for one client at most; more are summarised in one `errors_suppressed`.
    public var maxQueuedErrors = 20
    /// Errors a client may earn (bad messages, bad symbols) in a minute before it is closed with 1008.
    public var maxErrorsPerMinute = 600
    /// Bytes of must-arrive messages (snapshots, errors, pongs) waiting for one client before it is closed (1013).
    public var maxQueuedBytes = 4 << 20
    /// A `/stream` client that upgraded without the token has this long to send `{"op":"auth"}`.
    public var authTimeoutSeconds = 10.0
    /// HTTPS and WSS on the listening port, from PEM files; nil serves plain HTTP.
    public var tls: TLS?
    /// The dashboard's files; served at `/`.
    public var dashboardDirectory: String?
    /// Where docs/openapi.yaml lives; served at `/api/openapi.yaml`.
    public var docsDirectory: String?

    public struct TLS: Sendable, Equatable {
        public var certificate: String
        public var privateKey: String
        public init(certificate: String, privateKey: String) {
            self.certificate = certificate
            self.privateKey = privateKey
        }
    }

    public init() {}

    /// `host` is the IPv4 address the server binds (names are resolved before they get here), so only
    /// 127.0.0.0/8 is loopback.
    public var isLoopback: Bool { host.hasPrefix("127.") }

    /// `http://127.0.0.1:8080/`, or `https://` with TLS.
    public func url(port: Int) -> String { "\(tls == nil ? "http" : "https")://\(host):\(port)/" }
}

extension ServerConfiguration {
    /// Reads the `server` section: every key config/tickhub.example.json lists under it, and the two tokens, which
    /// are secrets (the app maps them to `TICKHUB_TOKEN` and `TICKHUB_PUBLISH_TOKEN`; no file may hold them).
    /// An empty token is no token.
    public init(config: ConfigReader) throws {
        self.init()
        if let listen = config.string(forKey: "listen") { (host, port) = try Self.listenAddress(listen) }
        threads = try Self.threads(config.int(forKey: "threads", default: threads))
        maxSymbolsPerClient = config.int(forKey: "maxSymbolsPerClient", default: maxSymbolsPerClient)
        maxMessageBytes = config.int(forKey: "maxMessageBytes", default: maxMessageBytes)
        slowClientSeconds = config.double(forKey: "slowClientSeconds", default: slowClientSeconds)
        pingIdleSeconds = config.int(forKey: "pingIdleSeconds", default: pingIdleSeconds)
        idleHangupSeconds = config.int(forKey: "idleHangupSeconds", default: idleHangupSeconds)
        firstQuoteWaitSeconds = config.double(forKey: "firstQuoteWaitSeconds", default: firstQuoteWaitSeconds)
        allowedOrigins = try Self.origins(config.stringArray(forKey: "allowedOrigins", default: allowedOrigins))
        allowedHosts = config.stringArray(forKey: "allowedHosts", default: allowedHosts)
        releaseIdleSymbolsSeconds = config.double(forKey: "releaseIdleSymbolsSeconds", default: releaseIdleSymbolsSeconds)
        snapshotSeconds = config.double(forKey: "snapshotSeconds", default: snapshotSeconds)
        pnlPerSecond = config.double(forKey: "pnlPerSecond", default: pnlPerSecond)
        maxPublishBytes = config.int(forKey: "maxPublishBytes", default: maxPublishBytes)
        authTimeoutSeconds = config.double(forKey: "authTimeoutSeconds", default: authTimeoutSeconds)
        maxQueuedErrors = config.int(forKey: "maxQueuedErrors", default: maxQueuedErrors)
        maxUpstreamSymbols = config.int(forKey: "maxUpstreamSymbols", default: maxUpstreamSymbols)
        maxSymbolsPerRequest = config.int(forKey: "maxSymbolsPerRequest", default: maxSymbolsPerRequest)
        maxSymbolsPerImport = config.int(forKey: "maxSymbolsPerImport", default: maxSymbolsPerImport)
        maxErrorsPerMinute = config.int(forKey: "maxErrorsPerMinute", default: maxErrorsPerMinute)
        maxQueuedBytes = config.int(forKey: "maxQueuedBytes", default: maxQueuedBytes)
        // Read with an empty default rather than as optionals, so that even a read that finds nothing says it
        // was of a secret.
        let token = config.string(forKey: "token", isSecret: true, default: "")
        self.token = token.isEmpty ? nil : token
        let publishToken = config.string(forKey: "publishToken", isSecret: true, default: "")
        self.publishToken = publishToken.isEmpty ? nil : publishToken
        tls = try Self.tls(config.scoped(to: "tls"))
    }

    /// `HOST:PORT` (`[v6]:PORT` too, so that the app can refuse IPv6 by name); an empty host is loopback, port 0
    /// picks a free one. The host is not resolved here: that is the app's, which binds it.
    private static func listenAddress(_ text: String) throws(InvalidSetting) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw InvalidSetting(key: "listen") { "\($0) wants HOST:PORT, e.g. 127.0.0.1:8080, not \"\(text)\"" }
        }
        guard (0...65535).contains(port) else {
            throw InvalidSetting(key: "listen") { "\($0): port \(port) is outside 1–65535 (0 picks a free port)" }
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Each origin as a browser writes it in `Origin` (lowercase, no trailing slash, no default port); a wildcard,
    /// a path or `null` is refused, since an origin listed here may drive the hub.
    private static func origins(_ list: [String]) throws(InvalidSetting) -> [String] {
        // `TICKHUB_ALLOWED_ORIGINS="a, b,"` is a list with spaces and a trailing comma, not an empty origin.
        try list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { (text: String) throws(InvalidSetting) -> String in
            guard let origin = CrossOrigin.canonical(text) else {
                throw InvalidSetting(key: "allowedOrigins") {
                    "\($0): \"\(text)\" is not an origin; list each as scheme://host[:port], e.g. http://localhost:3000 (no path, no wildcard)"
                }
            }
            return origin
        }
    }

    /// Most service threads a hub may have: far more than any machine it runs on has cores, and far fewer than a
    /// typo (`800` for `8`) would start, each with its own loop, buffers and listening socket.
    public static let maxThreads = 256

    private static func threads(_ count: Int) throws(InvalidSetting) -> Int {
        guard (1...maxThreads).contains(count) else {
            throw InvalidSetting(key: "threads") {
                "\($0) is \(count); it must be 1–\(maxThreads) (the default is one per core, \(ProcessInfo.processInfo.activeProcessorCount) here)"
            }
        }
        return count
    }

    /// Both paths empty (as in the example file) is plain HTTP; one without the other is a mistake worth saying.
    private static func tls(_ config: ConfigReader) throws(InvalidSetting) -> TLS? {
        let certificate = config.string(forKey: "certificate", default: "")
        let privateKey = config.string(forKey: "privateKey", default: "")
        switch (certificate.isEmpty, privateKey.isEmpty) {
        case (true, true): return nil
        case (false, false): return TLS(certificate: certificate, privateKey: privateKey)
        default: throw InvalidSetting(key: "tls") { "\($0) needs both \"certificate\" and \"privateKey\" (PEM file paths)" }
        }
    }
}
