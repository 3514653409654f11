import NIOCore
import TWSProtocol

/// The last handler of the TWS pipeline: hands decoded events to the session, tagged with the connection's generation.
final class IBKRInboundHandler: ChannelInboundHandler {
    typealias InboundIn = TWSClientEvent

    private let session: IBKRSession
    private let generation: Int

    init(session: IBKRSession, generation: Int) {
        self.session = session
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .connected(serverVersion, _): session.connected(serverVersion: serverVersion, generation: generation)
        case let .message(message): session.receive(message, generation: generation)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        session.flushChanges()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        session.protocolError(error, generation: generation)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.flushChanges()
        session.connectionLost(generation: generation)
        context.fireChannelInactive()
    }
}
