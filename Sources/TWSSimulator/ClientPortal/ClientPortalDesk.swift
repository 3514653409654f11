internal import ClientPortal
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TickhubCore

/// The simulated Client Portal Gateway's state and REST answers: the login and brokerage session, pacing, faults,
/// primed snapshots and WebSocket clients. It lives on the simulator's event loop, beside the engine whose market
/// and portfolio it serves, and is touched on that loop only.
final class ClientPortalDesk {
    struct Counters {
        var requests = 0
        var unauthorized = 0
        var unavailable = 0
        var streamMessages = 0
        /// `smd` subscriptions the gateway ended because no new `smd` came within `subscriptionSeconds`.
        var subscriptionsExpired = 0
    }

    let configuration: ClientPortalConfiguration
    let engine: SimulatorEngine
    var logger: Logger { engine.logger }
    var pacing: GatewayPacing
    var counters = Counters()

    // The session. The login is the user's (a browser with 2FA at IBKR); the brokerage session is what
    // ssodh/init opens on top of it, and what a competing platform takes away.
    var loggedIn = true
    var brokerageOpen = true
    var competing = false
    var sessionToken = ClientPortalDesk.newToken()
    var sessionOpened = NIODeadline.now()
    var lastRequest = NIODeadline.now()
    /// /iserver/accounts was asked in this brokerage session: IBKR serves no market data before it.
    var accountsQueried = false
    var outageUntil: NIODeadline?
    /// Symbols whose trading is halted (the `cp-halt` fault): their last price goes out marked "H".
    var halted: Set<String> = []
    /// History requests being answered now, the most at once so far, all answered, and those refused for going
    /// over IBKR's concurrent limit.
    var historyInFlight = 0 {
        didSet { historyPeak = max(historyPeak, historyInFlight) }
    }
    var historyPeak = 0
    var historyAnswered = 0
    var historyRefused = 0

    /// Conids a snapshot has primed in this brokerage session: their next snapshot carries values.
    var primed: Set<Int> = [] {
        didSet { refreshSteppedSymbols() }
    }
    var streams: [Int: StreamClient] = [:]
    var nextStreamID = 1

    var listener: Channel?
    var boundPort = 0
    var housekeepingTask: RepeatedTask?
    var streamTask: RepeatedTask?
    var lastHeartbeat = NIODeadline.now()

    init(configuration: ClientPortalConfiguration, engine: SimulatorEngine) {
        self.configuration = configuration
        self.engine = engine
        pacing = GatewayPacing(configuration: configuration)
    }

    var loop: EventLoop { engine.loop }
    var authenticated: Bool { loggedIn && brokerageOpen && !competing }
    /// Milliseconds since the epoch on the simulated clock, as the TWS side stamps its wire.
    var nowMilliseconds: Int64 { Int64(engine.simulatedTime * 1000) }

    static func newToken() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    // MARK: Requests

    /// Answers one REST request. `path` is the full path (`/v1/api/...`), `body` the request's, possibly empty.
    func answer(method: HTTPMethod, path: String, query: [String: String], body: String) -> GatewayReply {
        counters.requests += 1
        guard path.hasPrefix(Self.prefix) else { return .error(.notFound, "Not found: the API is under \(Self.prefix)") }
        var endpoint = String(path.dropFirst(Self.prefix.count))
        while endpoint.count > 1, endpoint.hasSuffix("/") { endpoint.removeLast() }
        let now = NIODeadline.now()
        if case let .penalized(until) = pacing.admit(endpoint, now: now) {
            let seconds = Int(((until - now).nanoseconds + 999_999_999) / 1_000_000_000)
            return .error(.tooManyRequests, "Too many requests: in the penalty box for \(seconds) more seconds")
        }
        lastRequest = now
        if let until = outageUntil, endpoint.hasPrefix("/iserver") {
            if now < until {
                counters.unavailable += 1
                return .error(.serviceUnavailable, "Service Unavailable: the brokerage system is down for maintenance")
            }
            outageUntil = nil
        }
        return route(method: method, endpoint: endpoint, query: query, body: body)
    }

    static let prefix = GatewayPath.prefix

    private func route(method: HTTPMethod, endpoint: String, query: [String: String], body: String) -> GatewayReply {
        let parts = endpoint.split(separator: "/").map(String.init)
        switch (method, endpoint) {
        case (.GET, "/iserver/auth/status"), (.POST, "/iserver/auth/status"):
            return .ok(authStatus().json)
        case (.POST, "/iserver/auth/ssodh/init"):
            return openBrokerageSession(body: body)
        case (.POST, "/iserver/reauthenticate"):
            guard loggedIn else { return notLoggedIn() }
            _ = openBrokerageSession(body: #"{"compete":true}"#)
            return .ok(GatewayReply.json(["message": "triggered"]))
        case (.POST, "/tickle"), (.GET, "/tickle"):
            return tickle()
        case (_, "/ws"):
            // An upgrade the gateway refused, or a plain request to the WebSocket's path.
            if let until = outageUntil, NIODeadline.now() < until {
                return .error(.serviceUnavailable, "Service Unavailable: the brokerage system is down for maintenance")
            }
            guard loggedIn else { return notLoggedIn() }
            return .error(.badRequest, "Bad Request: \(Self.prefix)/ws takes a WebSocket upgrade")
        case (.POST, "/logout"):
            setLoggedIn(false)
            return .ok(GatewayReply.json(["status": true]))
        default: break
        }
        // The portfolio and contract services ride on the login; /iserver needs the brokerage session.
        guard loggedIn else { return notLoggedIn() }
        if endpoint.hasPrefix("/iserver"), !authenticated {
            counters.unauthorized += 1
            return .error(.unauthorized, competing
                ? "not authenticated: a competing session holds the brokerage session (POST /iserver/auth/ssodh/init with compete=true takes it back)"
                : "not authenticated: no brokerage session (POST /iserver/auth/ssodh/init opens one)")
        }
        switch (method, endpoint) {
        case (.GET, "/iserver/accounts"): return iserverAccounts()
        case (.GET, "/iserver/secdef/search"): return secdefSearch(symbol: query["symbol"], byName: query["name"] == "true")
        case (.POST, "/iserver/secdef/search"):
            let request = GatewayReply.object(from: body) ?? [:]
            return secdefSearch(symbol: request["symbol"] as? String, byName: request["name"] as? Bool ?? false)
        case (.GET, "/trsrv/stocks"): return stocks(query["symbols"])
        case (.GET, GatewayPath.secdefInfo): return optionInfo(query)
        case (.GET, GatewayPath.currencyPairs): return currencyPairs(query["currency"])
        case (.GET, "/iserver/marketdata/snapshot"): return snapshot(conids: query["conids"], fields: query["fields"])
        case (.GET, GatewayPath.marketDataHistory): return history(query: query)
        case (.GET, "/portfolio/accounts"): return portfolioAccounts()
        case (.GET, "/iserver/account/pnl/partitioned"): return partitionedPnL()
        default: break
        }
        if method == .GET, parts.count == 4, parts[0] == "portfolio", parts[2] == "positions" {
            return positions(account: parts[1], page: parts[3])
        }
        if method == .GET, parts.count == 3, parts[0] == "portfolio", parts[2] == "summary" {
            return summary(account: parts[1])
        }
        return .error(.notFound, "Not found: \(method) \(Self.prefix)\(endpoint) is not served by this simulator")
    }

    private func notLoggedIn() -> GatewayReply {
        counters.unauthorized += 1
        return .error(.unauthorized, "not authenticated: log in at https://localhost:\(boundPort) in a browser")
    }

    // MARK: Session

    static let serverName = "TickhubSim"
    static let serverVersion = "Build 10.30.1, tickhub-sim"

    func authStatus() -> AuthStatus {
        AuthStatus(
            authenticated: authenticated, competing: loggedIn && competing, connected: loggedIn,
            message: competing ? "competing session" : "", serverName: Self.serverName, serverVersion: Self.serverVersion)
    }

    private func openBrokerageSession(body: String) -> GatewayReply {
        guard loggedIn else { return notLoggedIn() }
        let request = GatewayReply.object(from: body) ?? [:]
        let compete = request["compete"] as? Bool ?? false
        let wasAuthenticated = authenticated
        if !brokerageOpen {
            brokerageOpen = true
            sessionToken = Self.newToken()
            sessionOpened = .now()
            accountsQueried = false
        }
        if competing, compete { competing = false }
        if authenticated != wasAuthenticated { broadcastStatus() }
        return .ok(GatewayReply.json([
            "passed": authenticated, "authenticated": authenticated, "connected": true, "competing": competing,
        ]))
    }

    private func tickle() -> GatewayReply {
        guard loggedIn else { return notLoggedIn() }
        let left = max(0, configuration.sessionSeconds - Double((NIODeadline.now() - sessionOpened).nanoseconds) / 1e9)
        let answer = TickleAnswer(
            session: sessionToken, ssoExpires: Int64(left * 1000), collision: competing, userId: "1234567",
            authStatus: authStatus())
        return .ok(answer.json)
    }

    // MARK: Faults

    func inject(_ fault: ClientPortalFault) {
        logger.notice("injecting Client Portal fault \(fault)")
        switch fault {
        case .loggedOut: setLoggedIn(false)
        case .loggedIn: setLoggedIn(true)
        case .competing:
            competing = true
            broadcastStatus()
        case .competingEnded:
            competing = false
            broadcastStatus()
        case .sessionExpired: endBrokerageSession()
        case let .penalty(seconds): pacing.penalize(seconds: seconds)
        case let .outage(seconds):
            outageUntil = .now() + .nanoseconds(Int64(seconds * 1e9))
            // The gateway's market-data streams go with the restart: snapshots prime again, sockets reconnect.
            primed = []
            closeStreams()
        case .dropWebSockets: closeStreams()
        case let .halted(symbol): halted.insert(symbol)
        case let .resumed(symbol): halted.remove(symbol)
        }
    }

    func setLoggedIn(_ value: Bool) {
        if value {
            guard !loggedIn else { return }
            loggedIn = true
            brokerageOpen = true
            sessionToken = Self.newToken()
            sessionOpened = .now()
            accountsQueried = false
        } else {
            guard loggedIn else { return }
            broadcast(StreamEncoding.authStatus(AuthStatus(authenticated: false, connected: false)))
            loggedIn = false
            brokerageOpen = false
            primed = []
            closeStreams()
        }
    }

    func endBrokerageSession() {
        guard brokerageOpen else { return }
        brokerageOpen = false
        accountsQueried = false
        primed = []
        for client in streams.values { client.subscriptions = [:] }
        refreshSteppedSymbols()
        broadcastStatus()
    }

    /// Once a second: sessions that have lived their time or sat idle end; heartbeats go out when due.
    func everySecond() {
        let now = NIODeadline.now()
        if brokerageOpen {
            let age = Double((now - sessionOpened).nanoseconds) / 1e9
            let idle = Double((now - lastRequest).nanoseconds) / 1e9
            if age >= configuration.sessionSeconds
                || (configuration.idleTimeoutSeconds > 0 && idle >= configuration.idleTimeoutSeconds)
            {
                logger.notice("Client Portal brokerage session ended after \(Int(age)) s (idle \(Int(idle)) s)")
                endBrokerageSession()
            }
        }
        if Double((now - lastHeartbeat).nanoseconds) / 1e9 >= configuration.heartbeatSeconds - 0.5 {
            lastHeartbeat = now
            broadcast(StreamEncoding.heartbeat(nowMilliseconds))
        }
    }

    /// The symbols the engine keeps stepping for this gateway: primed snapshots and streamed subscriptions.
    func refreshSteppedSymbols() {
        var symbols: Set<String> = []
        let conids = primed.union(streams.values.flatMap { $0.subscriptions.keys })
        for conid in conids {
            guard let listing = engine.listingsByConId[conid] else { continue }
            // The tick clock steps walks that exist: make it (and an option's underlying's) now.
            _ = engine.walk(for: listing)
            symbols.insert(listing.instrument.symbol)
        }
        if symbols != engine.clientPortalSymbols { engine.clientPortalSymbols = symbols }
    }
}
