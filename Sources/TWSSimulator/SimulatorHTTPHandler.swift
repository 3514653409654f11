import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// One REST request to a simulated gateway, as its desk sees it.
struct SimulatorHTTPRequest {
    var method: HTTPMethod
    /// The path without its query, percent-decoded.
    var path: String
    /// The query's items, percent-decoded; a repeated name keeps its last value.
    var query: [String: String]
    var headers: HTTPHeaders
    var body: String
}

/// One HTTP connection's REST requests to a simulated gateway (the Client Portal's, TastyTrade's), answered by
/// `answer` on the channel's loop (the simulator's); keep-alive as the client asks.
final class SimulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "simulator-http"
    /// Request bodies are small JSON or form bodies; anything past this is refused.
    static let maximumBody = 64 * 1024

    private let answer: (SimulatorHTTPRequest) -> GatewayReply
    private var head: HTTPRequestHead?
    private var body = ""
    private var bodyTooLarge = false

    init(answer: @escaping (SimulatorHTTPRequest) -> GatewayReply) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            self.head = head
            body = ""
            bodyTooLarge = false
        case var .body(buffer):
            if body.utf8.count + buffer.readableBytes > Self.maximumBody {
                bodyTooLarge = true
            } else {
                body += buffer.readString(length: buffer.readableBytes) ?? ""
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let reply: GatewayReply
            if bodyTooLarge {
                reply = .error(.payloadTooLarge, "Payload Too Large: bodies are at most \(Self.maximumBody) bytes")
            } else {
                let components = URLComponents(string: head.uri)
                var query: [String: String] = [:]
                for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
                reply = answer(SimulatorHTTPRequest(
                    method: head.method, path: components?.path ?? head.uri, query: query, headers: head.headers, body: body))
            }
            if let delay = reply.delay {
                let keepAlive = head.isKeepAlive
                let bound = NIOLoopBound((self, context, reply), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) {
                    let (handler, context, reply) = bound.value
                    handler.respond(context, reply, keepAlive: keepAlive)
                    reply.whenSent?()
                }
            } else {
                respond(context, reply, keepAlive: head.isKeepAlive)
                reply.whenSent?()
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ reply: GatewayReply, keepAlive: Bool) {
        let text = reply.body
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: reply.contentType)
        headers.add(name: "content-length", value: String(text.utf8.count))
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A refused WebSocket upgrade is reported as an error before its request comes on here to be answered
        // (401, 503, 429): the connection stays.
        if error is NIOWebSocketUpgradeError { return }
        // A client that hangs up mid-handshake or sends garbage HTTP: nothing to answer.
        context.close(promise: nil)
    }
}
