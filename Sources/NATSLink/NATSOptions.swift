/// How many messages and bytes may wait for a subscription's handler before the client drops new ones (and reports
/// the subscription a slow consumer): a slow reader loses its own messages, it never slows the connection.
public struct NATSPendingLimits: Sendable, Equatable {
    public var messages: Int
    public var bytes: Int

    public init(messages: Int, bytes: Int) {
        self.messages = messages
        self.bytes = bytes
    }

    /// The C client's own defaults.
    public static let standard = NATSPendingLimits(messages: 65_536, bytes: 64 * 1024 * 1024)
}

/// How to reach the NATS server and how to behave when it goes away. Credentials are set by the caller (from the
/// environment: `credentials(from:)`), never read from a configuration file.
public struct NATSOptions: Sendable, Equatable {
    /// `nats://host:port`, or several separated by commas (a cluster's seeds).
    public var url: String
    /// This process's name as the server shows it (monitoring, `connz`).
    public var name: String?
    public var user: String?
    public var password: String?
    public var token: String?
    /// How long to wait before trying a server again.
    public var reconnectWait: Duration
    /// Reconnect attempts per server before giving up; -1 tries forever.
    public var maxReconnect: Int
    /// How often the client pings the server; with `maxPingsOut` unanswered, the link counts as lost. Short, so that
    /// a blocked network is noticed in seconds, not minutes.
    public var pingInterval: Duration
    public var maxPingsOut: Int
    /// Whether `connect` succeeds without a server yet (connecting in the background, `.reconnected` when it does).
    public var retryOnFailedConnect: Bool
    /// How long one attempt to open a connection may take.
    public var connectTimeout: Duration
    /// Pending limits every subscription gets unless it names its own.
    public var pendingLimits: NATSPendingLimits
    /// Whether each publish is written to the socket at once, rather than gathered by the C client's flusher
    /// thread with the ones that follow. On by default: a quote's hop through the server took a p50 of 0.22 ms this
    /// way against 0.80 ms gathered (1,000 a second, loopback), while the most a publisher could send fell from
    /// 57,000 to 32,000 a second, far above a feed's rate (NATSLinkTests.OrderAndLatencyTests).
    public var sendImmediately: Bool
    /// Whether what is sent while the connection is lost waits in the C client's buffer (8 MB) and goes out on
    /// reconnection (NATS's way), or is refused at once with `.disconnected`. A timed-out call sent while
    /// disconnected can still land after reconnection when buffered; refused, it never does, and the caller knows
    /// at once (a lease renewal, a quote that would be stale by then).
    public var bufferWhileReconnecting: Bool
    /// Whether every subscription's messages reach their handlers through the C client's one shared delivery thread,
    /// rather than a thread per subscription (its default). For a connection with many subscriptions (an edge's, one
    /// per symbol) whose handlers only queue: a handler that blocks holds up every subscription of the connection.
    public var sharedDelivery = false

    public init(
        url: String = "nats://127.0.0.1:4222", name: String? = nil, user: String? = nil, password: String? = nil,
        token: String? = nil, reconnectWait: Duration = .milliseconds(500), maxReconnect: Int = -1,
        pingInterval: Duration = .seconds(2), maxPingsOut: Int = 2, retryOnFailedConnect: Bool = true,
        connectTimeout: Duration = .seconds(2), pendingLimits: NATSPendingLimits = .standard, sendImmediately: Bool = true,
        bufferWhileReconnecting: Bool = true
    ) {
        self.url = url
        self.name = name
        self.user = user
        self.password = password
        self.token = token
        self.reconnectWait = reconnectWait
        self.maxReconnect = maxReconnect
        self.pingInterval = pingInterval
        self.maxPingsOut = maxPingsOut
        self.retryOnFailedConnect = retryOnFailedConnect
        self.connectTimeout = connectTimeout
        self.pendingLimits = pendingLimits
        self.sendImmediately = sendImmediately
        self.bufferWhileReconnecting = bufferWhileReconnecting
    }

    /// These options with the credentials the environment holds: `NATS_USER` and `NATS_PASSWORD`, or `NATS_TOKEN`
    /// (a user wins over a token when both are set; empty values count as unset).
    public func credentials(from environment: [String: String]) -> NATSOptions {
        var options = self
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let user = value("NATS_USER") {
            options.user = user
            options.password = value("NATS_PASSWORD")
            options.token = nil
        } else if let token = value("NATS_TOKEN") {
            options.token = token
        }
        return options
    }
}

extension Duration {
    /// Whole milliseconds, at least `minimum`: what the C client's options and timeouts take.
    func wholeMilliseconds(minimum: Int64 = 1) -> Int64 {
        let (seconds, attoseconds) = components
        return max(minimum, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
    }
}

extension NATSOptions: CustomStringConvertible {
    /// The options as a log may show them: the credentials' presence, never their values.
    public var description: String {
        let credentials = user.map { "user \($0), password \(password == nil ? "none" : "set")" } ?? (token == nil ? "none" : "token set")
        // A URL may carry its own user and password (nats://user:password@host): shown without them.
        let servers = url.split(separator: ",").map { listed -> String in
            let server = listed.drop { $0 == " " }
            guard let scheme = server.firstRange(of: "://"), let at = server.lastIndex(of: "@"), at > scheme.upperBound else {
                return String(server)
            }
            return String(server[..<scheme.upperBound]) + "…@" + String(server[server.index(after: at)...])
        }.joined(separator: ",")
        return "NATS \(servers) as \(name ?? "unnamed"), credentials: \(credentials), reconnect every \(reconnectWait) "
            + "(\(maxReconnect < 0 ? "forever" : "\(maxReconnect) times")), ping every \(pingInterval) (\(maxPingsOut) unanswered)"
    }
}
