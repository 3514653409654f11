import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A WebSocket client for the brokers' streams (TastyTrade's account streamer and DXLink, the Client Portal gateway's
/// socket): `ws://` or `wss://`, text messages in (fragments joined, handed to `onText` in order on the connection's
/// loop) and out; pings answered.
/// A message larger than `maxMessageBytes` closes the link (1009) rather than growing without end. A closed link is
/// reported once through `onClose`; whoever opened it decides whether to open another.
public final class WebSocketLink: Sendable {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badURL(String)
        case timedOut
        case closedBeforeUpgrade
        case refused(status: Int)

        public var description: String {
            switch self {
            case let .badURL(why): "not a WebSocket URL: \(why)"
            case .timedOut: "no WebSocket upgrade within the timeout"
            case .closedBeforeUpgrade: "the server closed the connection before the WebSocket upgrade"
            case let .refused(status): "the server refused the WebSocket: HTTP \(status)"
            }
        }
    }

    /// Where a link goes, read from a `ws://` or `wss://` URL.
    struct Endpoint: Equatable {
        var secure: Bool
        var host: String
        var port: Int
        /// Path and query, as sent in the request line.
        var target: String

        init(url: String) throws(Failure) {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
                throw .badURL("cannot read the URL")
            }
            switch scheme {
            case "ws": secure = false
            case "wss": secure = true
            default: throw .badURL("the scheme is \(scheme), not ws or wss")
            }
            guard let host = components.host, !host.isEmpty else { throw .badURL("no host") }
            self.host = host.trimmingCharacters(in: ["[", "]"])
            port = components.port ?? (secure ? 443 : 80)
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            target = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
        }

        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }
    }

    private let channel: Channel

    private init(channel: Channel) { self.channel = channel }

    /// Connects and upgrades. `headers` go with the upgrade request (a `User-Agent`, say); `timeout` bounds the
    /// connection and the upgrade together. `onClose` is called once when the link ends, whoever ended it (not when
    /// opening fails: that throws). `tls` is for `wss://` only; nil means the system's roots and the host name checked.
    public static func open(
        url: String, headers: [String: String] = [:], timeout: Duration = .seconds(10),
        maxMessageBytes: Int = 1 << 24, tls tlsConfiguration: TLSConfiguration? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onText: @escaping @Sendable (String) -> Void, onClose: @escaping @Sendable () -> Void
    ) async throws -> WebSocketLink {
        let endpoint = try Endpoint(url: url)
        let tls: NIOSSLContext? =
            endpoint.secure ? try NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil
        let loop = group.next()
        let upgraded = loop.makePromise(of: Channel.self)
        let timeAmount = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let deadline = loop.scheduleTask(in: timeAmount) { upgraded.fail(Failure.timedOut) }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }
        var requestHeaders = HTTPHeaders()
        requestHeaders.add(name: "Host", value: endpoint.hostHeader)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { requestHeaders.add(name: name, value: value) }
        requestHeaders.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.target, headers: requestHeaders)
        // Only complete once the upgrade is through; every earlier end of the connection fails `upgraded` instead.
        let onCloseAfterUpgrade: @Sendable () -> Void = onClose
        ClientBootstrap(group: loop)
            .connectTimeout(timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // SNI and the host-name check take a name, never an address.
                        let serverName = isAddress(endpoint.host) ? nil : endpoint.host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                }.flatMap {
                    let requester = UpgradeRequest(head: head, refused: { upgraded.fail(Failure.refused(status: Int($0.code))) })
                    let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: key, maxFrameSize: maxMessageBytes, automaticErrorHandling: true,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    FrameHandler(maxMessageBytes: maxMessageBytes, onText: onText))
                                upgraded.succeed(channel)
                            }
                        })
                    let config: NIOHTTPClientUpgradeSendableConfiguration = (
                        upgraders: [upgrader],
                        completionHandler: { context in context.pipeline.removeHandler(requester, promise: nil) })
                    // A server may write its first message right behind the 101: bytes that arrive in the same read
                    // as the upgrade answer go on to the frame decoder.
                    return channel.pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: config).flatMap {
                        channel.pipeline.addHandler(requester)
                    }
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { result in
                switch result {
                case let .success(channel):
                    channel.closeFuture.whenComplete { _ in
                        // Failing a promise that already succeeded does nothing; one that had not, ends the open.
                        upgraded.fail(Failure.closedBeforeUpgrade)
                    }
                    upgraded.futureResult.whenComplete { outcome in
                        switch outcome {
                        case .success: channel.closeFuture.whenComplete { _ in onCloseAfterUpgrade() }
                        case .failure: channel.close(promise: nil)
                        }
                    }
                case let .failure(error):
                    upgraded.fail(error)
                }
            }
        return WebSocketLink(channel: try await upgraded.futureResult.get())
    }

    /// Sends one text message as one frame (masked, as a client must). Nothing happens on a closed link.
    public func send(_ text: String) {
        let channel = channel
        channel.eventLoop.execute {
            let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
            channel.writeAndFlush(frame, promise: nil)
        }
    }

    public var isOpen: Bool { channel.isActive }

    /// Closes with 1000 (normal closure); `onClose` follows.
    public func close() {
        let channel = channel
        channel.eventLoop.execute {
            var status = channel.allocator.buffer(capacity: 2)
            status.write(webSocketErrorCode: .normalClosure)
            let goodbye = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status)
            channel.writeAndFlush(goodbye).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}

/// Sends the upgrade request once the connection is up; a response reaching it means the upgrade was refused.
private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let head: HTTPRequestHead
    let refused: @Sendable (HTTPResponseStatus) -> Void

    init(head: HTTPRequestHead, refused: @escaping @Sendable (HTTPResponseStatus) -> Void) {
        self.head = head
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(answer) = unwrapInboundIn(data) {
            refused(answer.status)
            context.close(promise: nil)
        }
    }
}

/// Text messages (continuations joined) to `onText`; pings answered; a close frame answered and the link closed.
private final class FrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let maxMessageBytes: Int
    private let onText: @Sendable (String) -> Void
    // Touched only on the channel's loop.
    private var partial: ByteBuffer?
    private var closing = false

    init(maxMessageBytes: Int, onText: @escaping @Sendable (String) -> Void) {
        self.maxMessageBytes = maxMessageBytes
        self.onText = onText
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if frame.fin { onText(String(buffer: frame.unmaskedData)) } else { partial = frame.unmaskedData }
        case .continuation:
            guard var buffer = partial else { return }
            var more = frame.unmaskedData
            buffer.writeBuffer(&more)
            guard buffer.readableBytes <= maxMessageBytes else {
                partial = nil
                close(context: context, code: .messageTooLarge)
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
            close(context: context, code: .normalClosure)
        default:
            break
        }
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closing else { return }
        closing = true
        var status = context.channel.allocator.buffer(capacity: 2)
        status.write(webSocketErrorCode: code)
        let goodbye = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(goodbye)).whenComplete { _ in channel.close(promise: nil) }
    }
}
