import NIOCore
import NIOWebSocket

/// One WebSocket of a simulated gateway after the upgrade: its text messages handed on, pings answered, a close
/// echoed. `opened` runs when the socket joins the pipeline and makes the desk's client for it; `received` and
/// `closed` get that client. All on the channel's loop (the simulator's).
final class SimulatorWebSocketHandler<Client>: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let opened: (Channel) -> Client
    private let received: (String, Client) -> Void
    private let closed: (Client) -> Void
    private var client: Client?

    init(opened: @escaping (Channel) -> Client, received: @escaping (String, Client) -> Void, closed: @escaping (Client) -> Void) {
        self.opened = opened
        self.received = received
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        client = opened(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { closed(client) }
        client = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var payload = frame.unmaskedData
            guard let client, let text = payload.readString(length: payload.readableBytes) else { return }
            received(text, client)
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
