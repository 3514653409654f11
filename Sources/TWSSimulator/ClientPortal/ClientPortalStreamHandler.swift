import Foundation
import NIOCore
import NIOWebSocket

/// One WebSocket at /v1/api/ws after the upgrade: text messages to the desk, pings answered, closes echoed.
final class ClientPortalStreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let desk: ClientPortalDesk
    private let cookieSession: String?
    private var client: StreamClient?

    init(desk: ClientPortalDesk, cookieSession: String?) {
        self.desk = desk
        self.cookieSession = cookieSession
    }

    func handlerAdded(context: ChannelHandlerContext) {
        client = desk.openStream(context.channel, cookieSession: cookieSession)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { desk.closeStream(client) }
        client = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var payload = frame.unmaskedData
            guard let client, let text = payload.readString(length: payload.readableBytes) else { return }
            desk.received(text, from: client)
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

    /// The session token an `api` cookie carries: `api={"session":"…"}` (percent-encoded or not), or the bare token.
    static func session(fromCookies header: String) -> String? {
        for cookie in header.split(separator: ";") {
            let trimmed = cookie.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("api=") else { continue }
            var value = String(trimmed.dropFirst(4))
            value = value.removingPercentEncoding ?? value
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if value.hasPrefix("{") { return GatewayReply.object(from: value)?["session"] as? String }
            return value.isEmpty ? nil : value
        }
        return nil
    }
}
