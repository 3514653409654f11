import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
internal import NIOSSL
import NIOWebSocket

/// A Client Portal Gateway stand-in (IBKR's REST and WebSocket API on HTTPS) beside a simulated TWS, serving the
/// same market and portfolio: the walks it streams are the TWS side's, stepped by the same tick clock.
///
/// All of its state lives on the simulator's event loop; these methods hop onto it.
public final class ClientPortalGateway: Sendable {
    public struct Status: Sendable, Codable, Equatable {
        public var port: Int
        public var loggedIn: Bool
        public var authenticated: Bool
        public var competing: Bool
        public var webSockets: Int
        public var streamSubscriptions: Int
        public var primedConids: Int
        public var requests: Int
        /// Requests answered 429.
        public var tooManyRequests: Int
        public var unauthorized: Int
        public var unavailable: Int
        public var streamMessages: Int
        /// Stream subscriptions ended for want of a renewing `smd` (IBKR ends each after 10 minutes).
        public var subscriptionsExpired: Int
        /// Seconds left in the penalty box (0 when out of it).
        public var penaltySeconds: Double
        /// Seconds left of an outage (0 when none).
        public var outageSeconds: Double
        /// `/iserver/marketdata/history` requests answered, and the most under way at once (IBKR allows 5; one
        /// more is answered 429 and counted in `tooManyRequests`).
        public var historyRequests: Int
        public var historyMostAtOnce: Int
    }

    public let configuration: ClientPortalConfiguration
    /// The certificate the gateway presents; its PEM is what clients trust.
    public let certificate: SelfSignedCertificate
    private let loop: EventLoop
    private let desk: NIOLoopBound<ClientPortalDesk>
    private let tlsContext: NIOSSLContext

    /// Makes the certificate and the gateway's state on `simulator`'s loop; `start` listens.
    public init(simulator: GatewaySimulator, configuration: ClientPortalConfiguration) throws {
        self.configuration = configuration
        certificate = try SelfSignedCertificate()
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem)))
        tlsContext = try NIOSSLContext(configuration: tls)
        loop = simulator.loop
        let engine = simulator.engine
        let loop = loop
        desk = try loop.submit {
            NIOLoopBound(ClientPortalDesk(configuration: configuration, engine: engine.value), eventLoop: loop)
        }.wait()
    }

    /// Writes the certificate where the configuration says, listens, and returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        if let path = configuration.certificateOutputPath { try certificate.writeCertificate(to: path) }
        let desk = desk
        let context = tlsContext
        return try await loop.flatSubmit { desk.value.start(tls: context) }.get()
    }

    public func stop() async {
        let desk = desk
        try? await loop.flatSubmit { desk.value.stop() }.get()
    }

    public func inject(_ fault: ClientPortalFault) async {
        let desk = desk
        try? await loop.submit { desk.value.inject(fault) }.get()
    }

    public func status() async throws -> Status {
        let desk = desk
        return try await loop.submit {
            let d = desk.value
            let now = NIODeadline.now()
            let left = { (until: NIODeadline?) -> Double in
                guard let until, until > now else { return 0 }
                return Double((until - now).nanoseconds) / 1e9
            }
            return Status(
                port: d.boundPort, loggedIn: d.loggedIn, authenticated: d.authenticated, competing: d.competing,
                webSockets: d.streams.count,
                streamSubscriptions: d.streams.values.reduce(0) { $0 + $1.subscriptions.count },
                primedConids: d.primed.count, requests: d.counters.requests,
                tooManyRequests: d.pacing.refused + d.historyRefused,
                unauthorized: d.counters.unauthorized, unavailable: d.counters.unavailable,
                streamMessages: d.counters.streamMessages, subscriptionsExpired: d.counters.subscriptionsExpired,
                penaltySeconds: left(d.pacing.penaltyUntil),
                outageSeconds: left(d.outageUntil), historyRequests: d.historyAnswered, historyMostAtOnce: d.historyPeak)
        }.get()
    }
}

extension ClientPortalDesk {
    func start(tls: NIOSSLContext) -> EventLoopFuture<Int> {
        let desk = NIOLoopBound(self, eventLoop: loop)
        housekeepingTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            desk.value.everySecond()
        }
        let interval = TimeAmount.milliseconds(Int64(max(10, configuration.streamIntervalMilliseconds)))
        streamTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in desk.value.streamRound() }
        return SimulatorWebListener.bind(
            on: loop, host: configuration.host, port: configuration.port, tls: tls,
            acceptsUpgrade: { desk.value.acceptsUpgrade($0) },
            socket: { head in
                let session = head.headers["cookie"].lazy.compactMap(StreamClient.session(fromCookies:)).first
                return SimulatorWebSocketHandler(
                    opened: { desk.value.openStream($0, cookieSession: session) },
                    received: { desk.value.received($0, from: $1) },
                    closed: { desk.value.closeStream($0) })
            },
            answer: { desk.value.answer(method: $0.method, path: $0.path, query: $0.query, body: $0.body) })
            .map { channel in
                desk.value.listener = channel
                desk.value.boundPort = channel.localAddress?.port ?? 0
                return desk.value.boundPort
            }
    }

    /// The WebSocket path, while the gateway is logged in and up; else the request is answered as REST (401, 503).
    func acceptsUpgrade(_ head: HTTPRequestHead) -> Bool {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path == Self.prefix + "/ws" || path == Self.prefix + "/ws/" else { return false }
        if let until = outageUntil, NIODeadline.now() < until { return false }
        guard loggedIn else { return false }
        // Refused by pacing, the request goes on to the REST handler, which answers the 429.
        guard case .allowed = pacing.admit("/ws") else { return false }
        return true
    }

    func stop() -> EventLoopFuture<Void> {
        housekeepingTask?.cancel()
        streamTask?.cancel()
        closeStreams()
        let closing = listener?.close() ?? loop.makeSucceededVoidFuture()
        listener = nil
        engine.clientPortalSymbols = []
        return closing.recover { _ in }
    }
}
