import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TastyTrade

/// A TastyTrade stand-in beside a simulated TWS, on one loopback port in plain HTTP: the REST API (OAuth token,
/// accounts, positions, balances, quote tokens), the account streamer at `/streamer` and DXLink at `/dxlink`, both
/// WebSocket upgrades. Its positions are priced and its DXLink fed by the TWS side's market, stepped by the same
/// tick clock.
///
/// All of its state lives on the simulator's event loop; these methods hop onto it.
public final class TastyTradeSimulator: Sendable {
    public struct Status: Sendable, Codable, Equatable {
        public var port: Int
        public var accounts: [String]
        public var requests: Int
        public var tokensIssued: Int
        /// Access tokens issued and still alive.
        public var liveTokens: Int
        public var grantsRefused: Int
        public var unauthorized: Int
        public var tooManyRequests: Int
        /// REST requests still to be answered 429.
        public var refusingNext: Int
        public var grantRevoked: Bool
        public var streamers: Int
        /// Streamers that sent `connect` and hear their accounts' notifications.
        public var connectedStreamers: Int
        public var notifications: Int
        public var dxLinkSockets: Int
        /// DXLink sockets authorized with a quote token that is still honoured.
        public var dxLinkAuthorized: Int
        public var dxLinkSubscriptions: Int
        public var feedMessages: Int
        public var fills: Int
    }

    public let configuration: TastyTradeSimulatorConfiguration
    private let loop: EventLoop
    private let desk: NIOLoopBound<TastyTradeDesk>

    /// Makes the simulated TastyTrade's state on `simulator`'s loop; `start` listens.
    public init(simulator: GatewaySimulator, configuration: TastyTradeSimulatorConfiguration = .init()) {
        self.configuration = configuration
        loop = simulator.loop
        let engine = simulator.engine
        let loop = loop
        desk = try! loop.submit {
            NIOLoopBound(TastyTradeDesk(configuration: configuration, engine: engine.value), eventLoop: loop)
        }.wait()
    }

    /// Listens; returns the bound port (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        let desk = desk
        return try await loop.flatSubmit { desk.value.start() }.get()
    }

    public func stop() async {
        let desk = desk
        try? await loop.flatSubmit { desk.value.stop() }.get()
    }

    public func inject(_ fault: TastyTradeFault) async {
        let desk = desk
        try? await loop.submit { desk.value.inject(fault) }.get()
    }

    /// A trade in `account` (`quantity` signed: a buy is positive) at `price`, or the mark now when nil; the
    /// account's streamers hear of the position and the balances at once. Returns the position as it now stands.
    @discardableResult
    public func fill(account: String, symbol: String, quantity: Double, price: Double? = nil) async throws -> TastyPosition {
        let desk = desk
        return try await loop.submit { () throws -> TastyPosition in
            do { return try desk.value.fill(account: account, symbol: symbol, quantity: quantity, price: price) }
            catch { throw error }
        }.get()
    }

    /// The account's positions as `GET /accounts/{n}/positions?include-marks=true` answers them now.
    public func positions(account: String) async throws -> [TastyPosition] {
        let desk = desk
        return try await loop.submit {
            let d = desk.value
            guard let held = d.accounts.first(where: { $0.accountNumber == account }) else { return [] }
            return d.positions(of: held, marks: true)
        }.get()
    }

    public func status() async throws -> Status {
        let desk = desk
        return try await loop.submit {
            let d = desk.value
            let now = NIODeadline.now()
            return Status(
                port: d.boundPort, accounts: d.accounts.map(\.accountNumber), requests: d.counters.requests,
                tokensIssued: d.counters.tokensIssued, liveTokens: d.accessTokens.values.filter { $0 > now }.count,
                grantsRefused: d.counters.grantsRefused, unauthorized: d.counters.unauthorized,
                tooManyRequests: d.counters.tooManyRequests, refusingNext: d.refuseNext, grantRevoked: d.grantRevoked,
                streamers: d.streamers.count, connectedStreamers: d.streamers.values.filter { $0.connected }.count,
                notifications: d.counters.notifications, dxLinkSockets: d.feeds.count,
                dxLinkAuthorized: d.feeds.values.filter { $0.token.map(d.quoteTokenValid) ?? false }.count,
                dxLinkSubscriptions: d.feeds.values.reduce(0) { $0 + $1.subscriptionCount },
                feedMessages: d.counters.feedMessages, fills: d.counters.fills)
        }.get()
    }
}

extension TastyTradeDesk {
    func start() -> EventLoopFuture<Int> {
        let desk = NIOLoopBound(self, eventLoop: loop)
        housekeepingTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            desk.value.everySecond()
        }
        let interval = TimeAmount.milliseconds(Int64(max(10, configuration.aggregationMilliseconds)))
        feedTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in desk.value.feedRound() }
        return SimulatorWebListener.bind(
            on: loop, host: configuration.host, port: configuration.port,
            acceptsUpgrade: { desk.value.acceptsUpgrade($0) },
            socket: { head -> ChannelHandler in
                if Self.socketPath(head) == "/streamer" {
                    return SimulatorWebSocketHandler(
                        opened: { desk.value.openStreamer($0) },
                        received: { desk.value.received($0, from: $1) },
                        closed: { desk.value.closeStreamer($0) })
                }
                return SimulatorWebSocketHandler(
                    opened: { desk.value.openFeed($0) },
                    received: { desk.value.received($0, from: $1) },
                    closed: { desk.value.closeFeed($0) })
            },
            answer: { desk.value.answer($0) })
            .map { channel in
                desk.value.listener = channel
                desk.value.boundPort = channel.localAddress?.port ?? 0
                return desk.value.boundPort
            }
    }

    static func socketPath(_ head: HTTPRequestHead) -> String {
        head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
    }

    /// The two WebSocket paths; anything else goes on to the REST handler, which says what is served. The
    /// streamer's token is checked on its `connect`, DXLink's on its `AUTH`, as TastyTrade's do.
    func acceptsUpgrade(_ head: HTTPRequestHead) -> Bool {
        ["/streamer", "/dxlink"].contains(Self.socketPath(head))
    }

    func stop() -> EventLoopFuture<Void> {
        housekeepingTask?.cancel()
        feedTask?.cancel()
        closeStreamers()
        closeFeeds()
        let closing = listener?.close() ?? loop.makeSucceededVoidFuture()
        listener = nil
        engine.tastyTradeSymbols = []
        return closing.recover { _ in }
    }
}
