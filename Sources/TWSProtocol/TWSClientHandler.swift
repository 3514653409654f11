import NIOCore

/// What a client pipeline delivers after the frame decoder.
public enum TWSClientEvent: Sendable {
    /// The server's hello arrived and startApi went out: requests may follow (replies wait for nextValidId).
    case connected(serverVersion: Int, connectionTime: String)
    case message(ServerMessage)
}

/// A request to send, encoded by the handler at the negotiated server version.
public struct TWSRequest: Sendable {
    public let message: any TWSMessage
    public init(_ message: any TWSMessage) { self.message = message }
}

/// The client side of a TWS socket after framing: sends the hello and startApi, then decodes every frame.
///
/// A frame it cannot decode is reported through `errorCaught` as a `TWSProtocolError`; what to do about it
/// (reset the connection) is the owner's decision. Requests written before the hello completes are refused.
public final class TWSClientHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = TWSClientEvent
    public typealias OutboundIn = TWSRequest
    public typealias OutboundOut = ByteBuffer

    public enum HandshakeError: Error, Equatable {
        case notConnected
    }

    private let clientID: Int
    private let versions: ClosedRange<Int>
    private let optionalCapabilities: String
    public private(set) var serverVersion: Int?
    /// Frames whose message id this codec does not model.
    public private(set) var unknownMessages = 0

    public init(clientID: Int, versions: ClosedRange<Int> = ServerVersion.clientRange, optionalCapabilities: String = "") {
        self.clientID = clientID
        self.versions = versions
        self.optionalCapabilities = optionalCapabilities
    }

    public func channelActive(context: ChannelHandlerContext) {
        var hello = context.channel.allocator.buffer(capacity: 32)
        ClientHello(versions: versions).encode(into: &hello)
        context.writeAndFlush(wrapOutboundOut(hello), promise: nil)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let version = serverVersion else {
            // Clients skip anything until the first frame with exactly two fields.
            guard let hello = ServerHello(frame: frame) else { return }
            guard versions.contains(hello.serverVersion) else {
                context.fireErrorCaught(TWSProtocolError.versionMismatch(client: versions, server: hello.serverVersion))
                return
            }
            serverVersion = hello.serverVersion
            let start = StartAPI(clientID: clientID, optionalCapabilities: optionalCapabilities)
            context.writeAndFlush(wrapOutboundOut(start.frame(serverVersion: hello.serverVersion, allocator: context.channel.allocator)), promise: nil)
            context.fireChannelRead(wrapInboundOut(.connected(serverVersion: hello.serverVersion, connectionTime: hello.connectionTime)))
            return
        }
        do {
            let message = try ServerMessage.decode(frame, serverVersion: version)
            if case .unknown = message { unknownMessages += 1; return }
            context.fireChannelRead(wrapInboundOut(.message(message)))
        } catch {
            context.fireErrorCaught(error)
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let version = serverVersion else {
            promise?.fail(HandshakeError.notConnected)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 128)
        unwrapOutboundIn(data).message.encode(into: &buffer, serverVersion: version)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
