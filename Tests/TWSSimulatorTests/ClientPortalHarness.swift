import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import SimulatorTestSupport
import TWSSimulator

/// A simulator with its Client Portal gateway on free loopback ports, and clients that trust the gateway's
/// certificate and nothing else: every request goes over real TLS.
struct ClientPortalHarness {
    struct Response {
        var status: Int
        var body: String
        var data: Data { Data(body.utf8) }
    }

    let simulator: GatewaySimulator
    let gateway: ClientPortalGateway
    let port: Int
    let http: HTTPClient
    let tls: TLSConfiguration

    func get(_ path: String) async throws -> Response { try await request(.GET, path) }

    func post(_ path: String, _ body: String = "") async throws -> Response { try await request(.POST, path, body: body) }

    func request(_ method: HTTPMethod, _ path: String, body: String = "") async throws -> Response {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/api\(path)")
        request.method = method
        if !body.isEmpty {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return Response(status: Int(response.status.code), body: String(buffer: bytes))
    }

    /// A WebSocket at /v1/api/ws, with `cookie` as its `Cookie` header if given.
    func stream(cookie: String? = nil) async throws -> StreamTestClient {
        try await StreamTestClient.connect(port: port, path: "/v1/api/ws", tls: tls, cookie: cookie)
    }
}

/// Runs `body` against a fresh simulator and Client Portal gateway, always stopping both.
func withClientPortal(
    _ configure: (inout ClientPortalConfiguration) -> Void = { _ in },
    simulator configureSimulator: (inout SimulatorConfiguration) -> Void = { _ in },
    _ body: (ClientPortalHarness) async throws -> Void
) async throws {
    try await simulatorSlots.holding {
        var configuration = SimulatorConfiguration.openMarket(ticksPerSecond: 500)
        configureSimulator(&configuration)
        var portal = ClientPortalConfiguration()
        portal.port = 0
        // Tests make a few requests at a time; those about pacing set their own limits.
        portal.requestsPerSecond = 0
        portal.penaltySeconds = 1
        configure(&portal)
        let simulator = GatewaySimulator(configuration: configuration)
        _ = try await simulator.start()
        let gateway: ClientPortalGateway
        let port: Int
        do {
            gateway = try ClientPortalGateway(simulator: simulator, configuration: portal)
            port = try await gateway.start()
        } catch {
            await simulator.stop()
            throw error
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(gateway.certificate.certificatePEM.utf8), format: .pem)])
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let harness = ClientPortalHarness(simulator: simulator, gateway: gateway, port: port, http: http, tls: tls)
        do {
            try await body(harness)
        } catch {
            try? await http.shutdown()
            await gateway.stop()
            await simulator.stop()
            throw error
        }
        try await http.shutdown()
        await gateway.stop()
        await simulator.stop()
    }
}

/// The text messages a WebSocket received, in order, and waits for the next that matches.
actor MessageBox {
    private(set) var messages: [String] = []
    private(set) var closed = false
    private var waiters: [Int: (from: Int, match: @Sendable (String) -> Bool, continuation: CheckedContinuation<Int?, Never>)] = [:]
    private var nextWaiter = 0

    func append(_ message: String) {
        messages.append(message)
        for (id, waiter) in waiters {
            if let index = messages.indices.dropFirst(waiter.from).first(where: { waiter.match(messages[$0]) }) {
                waiters[id] = nil
                waiter.continuation.resume(returning: index)
            }
        }
    }

    func close() {
        closed = true
        for waiter in waiters.values { waiter.continuation.resume(returning: nil) }
        waiters = [:]
    }

    /// The index of the first message at or after `from` that matches, waiting up to `timeout`; nil if none came.
    func first(from: Int = 0, timeout: Duration, where match: @escaping @Sendable (String) -> Bool) async -> Int? {
        if let index = messages.indices.dropFirst(from).first(where: { match(messages[$0]) }) { return index }
        if closed { return nil }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        let index = await withCheckedContinuation { continuation in
            waiters[id] = (from, match, continuation)
        }
        timer.cancel()
        return index
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    func message(_ index: Int) -> String { messages[index] }
}

/// A WebSocket client of a simulated gateway: over TLS (the Client Portal's) or plain (TastyTrade's).
final class StreamTestClient: Sendable {
    let channel: Channel
    let box = MessageBox()
    /// Frames in arrival order: the recorder yields on the channel's loop, one task files them in the box.
    let inbox: AsyncStream<String>.Continuation

    private init(channel: Channel) {
        self.channel = channel
        let (messages, inbox) = AsyncStream<String>.makeStream()
        self.inbox = inbox
        let box = box
        Task {
            for await message in messages { await box.append(message) }
            await box.close()
        }
    }

    static func connect(port: Int, path: String, tls: TLSConfiguration?, cookie: String? = nil) async throws -> StreamTestClient {
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let upgraded = loop.makePromise(of: StreamTestClient.self)
        let timeout = loop.scheduleTask(in: .seconds(10)) { upgraded.fail(TestTimeout(what: "the WebSocket upgrade")) }
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                    let request = UpgradeRequest(
                        port: port, path: path, cookie: cookie, refused: { upgraded.fail(UpgradeRefused(status: $0)) })
                    let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: key, maxFrameSize: 1 << 22, automaticErrorHandling: true,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let client = StreamTestClient(channel: channel)
                                try channel.pipeline.syncOperations.addHandler(Recorder(inbox: client.inbox))
                                upgraded.succeed(client)
                            }
                        })
                    // The gateway's first messages may share a read with its 101: they are the stream's, not left over.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: (
                        upgraders: [upgrader],
                        completionHandler: { context in context.pipeline.removeHandler(name: "upgrade-request", promise: nil) }))
                    try channel.pipeline.syncOperations.addHandler(request, name: "upgrade-request")
                }
            }
            .connect(host: "127.0.0.1", port: port)
        connected.whenFailure { upgraded.fail($0) }
        connected.whenSuccess { channel in
            channel.closeFuture.whenComplete { _ in upgraded.fail(ConnectionClosed(what: "the WebSocket upgrade")) }
        }
        defer { timeout.cancel() }
        return try await upgraded.futureResult.get()
    }

    func send(_ text: String) async throws {
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
        try await channel.writeAndFlush(frame)
    }

    /// The first message at or after `from` that matches, or a `TestTimeout`.
    func next(from: Int = 0, timeout: Duration = .seconds(10), _ what: String,
              where match: @escaping @Sendable (String) -> Bool) async throws -> (index: Int, text: String) {
        guard let index = await box.first(from: from, timeout: timeout, where: match) else {
            throw TestTimeout(what: what)
        }
        return (index, await box.message(index))
    }

    func close() async {
        try? await channel.close()
    }
}

struct UpgradeRefused: Error, CustomStringConvertible {
    var status: HTTPResponseStatus
    var description: String { "WebSocket upgrade refused: HTTP \(status.code)" }
}

private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let port: Int
    let path: String
    let cookie: String?
    let refused: @Sendable (HTTPResponseStatus) -> Void

    init(port: Int, path: String, cookie: String?, refused: @escaping @Sendable (HTTPResponseStatus) -> Void) {
        self.port = port
        self.path = path
        self.cookie = cookie
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost:\(port)")
        headers.add(name: "Content-Length", value: "0")
        if let cookie { headers.add(name: "Cookie", value: cookie) }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Any response that reaches this handler means the upgrade was refused.
        if case let .head(head) = unwrapInboundIn(data) {
            refused(head.status)
            context.close(promise: nil)
        }
    }
}

private final class Recorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame

    let inbox: AsyncStream<String>.Continuation

    init(inbox: AsyncStream<String>.Continuation) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        var payload = frame.unmaskedData
        inbox.yield(payload.readString(length: payload.readableBytes) ?? "")
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.finish()
        context.fireChannelInactive()
    }
}
