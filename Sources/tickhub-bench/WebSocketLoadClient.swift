import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// What every load client reports, aggregated per event loop without locks: each loop's clients share one tally.
final class LoadTally: @unchecked Sendable {
    var updates = 0
    var frames = 0
    var connected = 0
    var failed = 0
    /// Latency samples in microseconds (receipt minus the update's `t`), one per delivered update.
    var latencies: [UInt32] = []
    var recording = false

    init() { latencies.reserveCapacity(1 << 20) }
}

/// One WebSocket client of the load test: upgrades, subscribes, then counts updates and their latency.
/// A slow client stops reading after subscribing, as a stuck browser tab does.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let subscribe: String
    let tally: LoadTally
    let slow: Bool

    init(subscribe: String, tally: LoadTally, slow: Bool) {
        self.subscribe = subscribe
        self.tally = tally
        self.slow = slow
    }

    func handlerAdded(context: ChannelHandlerContext) {
        tally.connected += 1
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: subscribe))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if slow { context.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            tally.frames += 1
            let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
            frame.unmaskedData.withUnsafeReadableBytes { bytes in
                Self.scan(bytes, now: now, tally: tally)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    /// Finds every `,"t":<µs>` in a frame: one per quote, whether the frame is an object or an array.
    static func scan(_ bytes: UnsafeRawBufferPointer, now: UInt64, tally: LoadTally) {
        let pattern: [UInt8] = Array(#","t":"#.utf8)
        var i = 0
        let n = bytes.count
        while i + pattern.count < n {
            if bytes[i] == pattern[0], bytes[i + 1] == pattern[1], bytes[i + 2] == pattern[2], bytes[i + 3] == pattern[3],
               bytes[i + 4] == pattern[4] {
                var j = i + pattern.count
                var value: UInt64 = 0
                while j < n, bytes[j] >= 48, bytes[j] <= 57 {
                    value = value * 10 + UInt64(bytes[j] - 48)
                    j += 1
                }
                tally.updates += 1
                if tally.recording, now >= value { tally.latencies.append(UInt32(min(now - value, UInt64(UInt32.max)))) }
                i = j
            } else {
                i += 1
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Sends the upgrade request once the TCP connection is up.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let host: String
    let path: String

    init(host: String, path: String) {
        self.host = host
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response here means the upgrade was refused.
        if case .head = unwrapInboundIn(data) { context.close(promise: nil) }
    }
}

enum LoadClient {
    /// Opens one client; the future completes when the upgrade is done.
    static func connect(
        host: String, port: Int, path: String, loop: EventLoop, subscribe: String, tally: LoadTally, slow: Bool
    ) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let requestHandler = UpgradeRequestHandler(host: "\(host):\(port)", path: path)
                let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: key, maxFrameSize: 1 << 24, automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                LoadClientHandler(subscribe: subscribe, tally: tally, slow: slow))
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
