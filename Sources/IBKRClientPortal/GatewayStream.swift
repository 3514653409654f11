import ClientPortal
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The gateway's WebSocket (`wss://host:port/v1/api/ws`): text frames in, handed to `onText` on the channel's
/// loop; text frames out. Opened with the session's token both as the gateway's `api` cookie and, once open, as
/// `{"session":…}`, so either way the gateway authenticates sockets works. A closed socket is reported once through
/// `onClose`; the session decides whether to open another.
final class GatewayStream: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case timedOut, closedBeforeUpgrade
        case refused(HTTPResponseStatus)

        var description: String {
            switch self {
            case .timedOut: "no WebSocket upgrade from the gateway within the timeout"
            case .closedBeforeUpgrade: "the gateway closed the connection before the WebSocket upgrade"
            case let .refused(status): "the gateway refused the WebSocket: HTTP \(status.code) \(status.reasonPhrase)"
            }
        }
    }

    private let channel: Channel

    private init(channel: Channel) { self.channel = channel }

    static func open(
        host: String, port: Int, tls: TLSConfiguration, token: String, on loop: EventLoop, timeout: TimeAmount = .seconds(10),
        onText: @escaping @Sendable (String) -> Void, onClose: @escaping @Sendable () -> Void
    ) async throws -> GatewayStream {
        let context = try NIOSSLContext(configuration: tls)
        // SNI and the host-name check take a name, never an address.
        let serverName = isAddress(host) ? nil : host
        let upgraded = loop.makePromise(of: Channel.self)
        let deadline = loop.scheduleTask(in: timeout) { upgraded.fail(Failure.timedOut) }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                }.flatMap {
                    let requester = StreamUpgradeRequest(
                        host: hostHeader, token: token, refused: { upgraded.fail(Failure.refused($0)) })
                    let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: key, maxFrameSize: 1 << 24, automaticErrorHandling: true,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(StreamFrameHandler(onText: onText))
                                upgraded.succeed(channel)
                            }
                        })
                    let config: NIOHTTPClientUpgradeSendableConfiguration = (
                        upgraders: [upgrader],
                        completionHandler: { context in context.pipeline.removeHandler(requester, promise: nil) })
                    // The gateway writes its first messages (`sts`, "waiting for session") right behind the 101: bytes
                    // that arrive in the same read as the upgrade answer go on to the frame decoder, not away.
                    return channel.pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: config).flatMap {
                        channel.pipeline.addHandler(requester)
                    }
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case let .success(channel):
                    // Completing a completed promise does nothing: harmless once upgraded.
                    channel.closeFuture.whenComplete { _ in
                        upgraded.fail(Failure.closedBeforeUpgrade)
                        onClose()
                    }
                    upgraded.futureResult.whenFailure { _ in channel.close(promise: nil) }
                case let .failure(error):
                    upgraded.fail(error)
                }
            }
        let channel = try await upgraded.futureResult.get()
        let stream = GatewayStream(channel: channel)
        stream.send(StreamCommand.session(token).text)
        return stream
    }

    /// Sends one text frame (masked, as a client must).
    func send(_ text: String) {
        let channel = channel
        channel.eventLoop.execute {
            let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
            channel.writeAndFlush(frame, promise: nil)
        }
    }

    var isOpen: Bool { channel.isActive }

    /// Closes with 1000; `onClose` follows.
    func close() {
        let channel = channel
        channel.eventLoop.execute {
            var status = channel.allocator.buffer(capacity: 2)
            status.writeInteger(UInt16(1000))
            let goodbye = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status)
            channel.writeAndFlush(goodbye, promise: nil)
            channel.close(promise: nil)
        }
    }

    private static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}

/// Sends the upgrade request (with the session cookie) once the connection is up; a response reaching it means
/// the upgrade was refused.
private final class StreamUpgradeRequest: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let host: String
    let token: String
    let refused: @Sendable (HTTPResponseStatus) -> Void

    init(host: String, token: String, refused: @escaping @Sendable (HTTPResponseStatus) -> Void) {
        self.host = host
        self.token = token
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "User-Agent", value: "tickhub")
        headers.add(name: "Cookie", value: "api=\(token)")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/v1/api/ws", headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(head) = unwrapInboundIn(data) {
            refused(head.status)
            context.close(promise: nil)
        }
    }
}

/// Text frames (continuations joined) to `onText`; pings answered; a close frame closes.
private final class StreamFrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let onText: @Sendable (String) -> Void
    // Touched only on the channel's loop.
    private var partial: ByteBuffer?

    init(onText: @escaping @Sendable (String) -> Void) { self.onText = onText }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if frame.fin { onText(String(buffer: frame.unmaskedData)) } else { partial = frame.unmaskedData }
        case .continuation:
            guard var buffer = partial else { return }
            var more = frame.unmaskedData
            buffer.writeBuffer(&more)
            // A message larger than any the gateway sends is dropped rather than grown without end.
            guard buffer.readableBytes <= 1 << 24 else {
                partial = nil
                return
            }
            if frame.fin {
                partial = nil
                onText(String(buffer: buffer))
            } else {
                partial = buffer
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }
}
