import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A WebSocket server on loopback for WebSocketLink's own tests: it runs a script per received text message, so a
/// test can make it answer in fragments, ping, close or send too much. Upgrades only `/ws`; anything else gets 404.
final class LoopbackWebSocketServer: Sendable {
    enum Reply: Sendable {
        case text(String)
        case fragments([String])
        case ping(String)
        case close
    }

    private let channel: Channel
    private let state = NIOLockedValueBox(State())
    private struct State {
        var received: [String] = []
        var clients: [Channel] = []
    }

    let port: Int

    /// `script` answers each text message from a client; with `tls`, the server speaks TLS (wss).
    init(tls: NIOSSLContext? = nil, script: @escaping @Sendable (String) -> [Reply]) async throws {
        let box = NIOLockedValueBox<LoopbackWebSocketServer?>(nil)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/ws") ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in
                // The 404 answerer sits where the frame decoder's bytes would pass: it goes before frames arrive.
                channel.pipeline.removeHandler(name: "notFound").flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        box.withLockedValue { $0?.state.withLockedValue { $0.clients.append(channel) } }
                        try channel.pipeline.syncOperations.addHandler(ScriptHandler(script: script, server: { box.withLockedValue { $0 } }))
                    }
                }
            })
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                if let tls {
                    do { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                ).flatMap { channel.pipeline.addHandler(NotFound(), name: "notFound") }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
        box.withLockedValue { $0 = self }
    }

    var received: [String] { state.withLockedValue { $0.received } }
    /// Pongs the client answered, awaitable.
    let pongs = Mailbox<String>()

    fileprivate func record(text: String) { state.withLockedValue { $0.received.append(text) } }
    fileprivate func record(pong: String) { pongs.put(pong) }

    /// Ends every client's connection without a close frame, as a dropped network would.
    func dropClients() {
        for client in state.withLockedValue({ $0.clients }) { client.close(promise: nil) }
    }

    func stop() async {
        dropClients()
        try? await channel.close()
    }
}

private final class NotFound: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .notFound, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

private final class ScriptHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let script: @Sendable (String) -> [LoopbackWebSocketServer.Reply]
    let server: @Sendable () -> LoopbackWebSocketServer?

    init(script: @escaping @Sendable (String) -> [LoopbackWebSocketServer.Reply], server: @escaping @Sendable () -> LoopbackWebSocketServer?) {
        self.script = script
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            server()?.record(text: text)
            for reply in script(text) { send(reply, context: context) }
        case .pong:
            server()?.record(pong: String(buffer: frame.unmaskedData))
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func send(_ reply: LoopbackWebSocketServer.Reply, context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        switch reply {
        case let .text(text):
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: allocator.buffer(string: text))), promise: nil)
        case let .fragments(parts):
            for (index, part) in parts.enumerated() {
                let frame = WebSocketFrame(
                    fin: index == parts.count - 1, opcode: index == 0 ? .text : .continuation, data: allocator.buffer(string: part))
                context.write(wrapOutboundOut(frame), promise: nil)
            }
            context.flush()
        case let .ping(payload):
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: allocator.buffer(string: payload))), promise: nil)
        case .close:
            var status = allocator.buffer(capacity: 2)
            status.write(webSocketErrorCode: .goingAway)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: status)), promise: nil)
        }
    }
}
