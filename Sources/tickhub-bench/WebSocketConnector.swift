import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens WebSocket client connections (load clients and the publisher alike) with every wait bounded.
enum WebSocketConnector {
    enum Failure: Error, CustomStringConvertible {
        case timedOut, closedBeforeUpgrade
        case refused(HTTPResponseStatus)

        var description: String {
            switch self {
            case .timedOut: "no WebSocket upgrade within the timeout"
            case .closedBeforeUpgrade: "connection closed before the WebSocket upgrade"
            case .refused(let status): "WebSocket upgrade refused: HTTP \(status.code) \(status.reasonPhrase)"
            }
        }
    }

    /// Connects and upgrades through NIO's WebSocket handlers; `configure` adds the frame handler. The future
    /// completes once the upgrade is done (not merely the TCP connect), or fails on refusal, close or `timeout`.
    static func connect(
        host: String, port: Int, path: String, headers: [(String, String)] = [], on loop: EventLoop,
        timeout: TimeAmount = .seconds(10), configure: @escaping @Sendable (Channel) throws -> Void
    ) -> EventLoopFuture<Channel> {
        bounded(on: loop, timeout: timeout) { upgraded in
            ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    let requestHandler = UpgradeRequestHandler(
                        host: "\(host):\(port)", path: path, headers: headers,
                        refused: { upgraded.fail(Failure.refused($0)) })
                    let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: key, maxFrameSize: 1 << 24, automaticErrorHandling: true,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try configure(channel)
                                upgraded.succeed(channel)
                            }
                        })
                    let config: NIOHTTPClientUpgradeSendableConfiguration = (
                        upgraders: [upgrader],
                        completionHandler: { context in
                            context.pipeline.removeHandler(requestHandler, promise: nil)
                        })
                    return channel.pipeline.addHTTPClientHandlers(withClientUpgrade: config).flatMap {
                        channel.pipeline.addHandler(requestHandler)
                    }
                }
                .connect(host: host, port: port)
        }
    }

    /// Bounds a connection attempt: `start` begins the TCP connect and its handlers complete `upgraded` when the
    /// WebSocket is open. The result fails if the connect fails, the channel closes first or `timeout` passes,
    /// and then the channel is closed.
    static func bounded(
        on loop: EventLoop, timeout: TimeAmount, _ start: (EventLoopPromise<Channel>) -> EventLoopFuture<Channel>
    ) -> EventLoopFuture<Channel> {
        let upgraded = loop.makePromise(of: Channel.self)
        let deadline = loop.scheduleTask(in: timeout) { upgraded.fail(Failure.timedOut) }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }
        start(upgraded).whenComplete { result in
            switch result {
            case .success(let channel):
                // Completing a completed promise is a no-op, so this is harmless after a successful upgrade.
                channel.closeFuture.whenComplete { _ in upgraded.fail(Failure.closedBeforeUpgrade) }
                upgraded.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case .failure(let error):
                upgraded.fail(error)
            }
        }
        return upgraded.futureResult
    }
}

/// Sends the upgrade request once the TCP connection is up.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let host: String
    let path: String
    let headers: [(String, String)]
    let refused: @Sendable (HTTPResponseStatus) -> Void

    init(host: String, path: String, headers: [(String, String)],
         refused: @escaping @Sendable (HTTPResponseStatus) -> Void) {
        self.host = host
        self.path = path
        self.headers = headers
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        for (name, value) in self.headers { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response here means the upgrade was refused.
        if case .head(let head) = unwrapInboundIn(data) {
            refused(head.status)
            context.close(promise: nil)
        }
    }
}
