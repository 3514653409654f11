import NIOCore
import NIOHTTP1
import NIOPosix
internal import NIOSSL
import NIOWebSocket

/// The listener of a simulated broker's web API (the Client Portal gateway's, TastyTrade's): REST answered by
/// `answer`, WebSocket upgrades where `acceptsUpgrade` says so, each socket's fragments joined (up to 1 MiB) before
/// the handler `socket` makes for it; TLS first when a context is given. Everything runs on `loop`, the simulator's.
enum SimulatorWebListener {
    static let maximumFrame = 1 << 20

    static func bind(
        on loop: EventLoop, host: String, port: Int, tls: NIOSSLContext? = nil,
        acceptsUpgrade: @escaping @Sendable (HTTPRequestHead) -> Bool,
        socket: @escaping @Sendable (HTTPRequestHead) -> ChannelHandler,
        answer: @escaping @Sendable (SimulatorHTTPRequest) -> GatewayReply
    ) -> EventLoopFuture<Channel> {
        ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: maximumFrame,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(acceptsUpgrade(head) ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandlers([
                                    NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64,
                                        maxAccumulatedFrameSize: maximumFrame),
                                    socket(head),
                                ])
                            }
                        })
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.configureHTTPServerPipeline(withServerUpgrade: (
                        upgraders: [upgrader],
                        completionHandler: { context in
                            context.pipeline.removeHandler(name: SimulatorHTTPHandler.name, promise: nil)
                        }))
                    try sync.addHandler(SimulatorHTTPHandler(answer: answer), name: SimulatorHTTPHandler.name)
                }
            }
            .bind(host: host, port: port)
    }
}
