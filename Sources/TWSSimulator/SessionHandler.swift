import NIOCore
import TWSProtocol

/// Bridges one client channel to the engine: hello, requests, and the end of the connection.
final class SessionHandler: ChannelInboundHandler {
    typealias InboundIn = TWSServerInbound

    private let engine: SimulatorEngine
    private var session: SimulatorSession?

    init(engine: SimulatorEngine) {
        self.engine = engine
    }

    func channelActive(context: ChannelHandlerContext) {
        session = engine.open(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        switch unwrapInboundIn(data) {
        case let .hello(hello): engine.handleHello(hello, on: session)
        case let .frame(frame): engine.handleFrame(frame, on: session)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { engine.close(session) }
        session = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Bad framing from a client: TWS would drop it too.
        engine.logger.warning("closing client connection: \(error)")
        context.close(promise: nil)
    }
}
