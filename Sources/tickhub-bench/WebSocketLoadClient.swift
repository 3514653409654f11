import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One load client: a bare TCP channel that speaks WebSocket itself. It writes the upgrade request, reads the
/// 101, subscribes (unless idle), then parses the server's frames in place as they arrive and counts and times
/// the updates in them. A slow client stops reading after subscribing, as a stuck browser tab does.
///
/// Why not NIO's HTTP and WebSocket handlers: per frame they cost a ByteToMessageHandler pass, a frame value
/// boxed into NIOAny and more pipeline hops, which at 100,000 small frames a second made the load generator
/// compete with the server for the CPU. A client only needs server frames (unmasked), text, ping and close, so
/// the framing here is short: no allocation per frame, one clock read per socket read.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State { case handshaking, open }

    private let host: String
    private let path: String
    /// The subscribe message, or nil for an idle client that only holds its connection.
    private let subscribe: String?
    private let tally: LoadTally
    private let slow: Bool
    private let upgraded: EventLoopPromise<Channel>
    private var state = State.handshaking
    /// The start of a response head or frame that has not fully arrived.
    private var pending: ByteBuffer?

    /// Larger frames are a broken stream, not data.
    private static let maximumFrameBytes = 1 << 24

    init(host: String, path: String, subscribe: String?, tally: LoadTally, slow: Bool,
         upgraded: EventLoopPromise<Channel>) {
        self.host = host
        self.path = path
        self.subscribe = subscribe
        self.tally = tally
        self.slow = slow
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .open { tally.disconnected += 1 }
        upgraded.fail(WebSocketConnector.Failure.closedBeforeUpgrade)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        upgraded.fail(error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var carried = pending {
            pending = nil
            carried.writeBuffer(&buffer)
            buffer = carried
        }
        if state == .handshaking {
            guard readResponseHead(&buffer, context: context) else { return }
        }
        // Bytes a slow client's socket had already read are not what a stuck reader would see.
        if slow { return }
        readFrames(&buffer, context: context)
    }

    /// Consumes the 101 response head; false while it is incomplete or when the upgrade was refused.
    private func readResponseHead(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        let end = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count >= 4 else { return nil }
            for i in 3..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10
                && bytes[i - 3] == 13 {
                return i + 1
            }
            return nil
        }
        guard let end else {
            if buffer.readableBytes > 16_384 {
                upgraded.fail(WebSocketConnector.Failure.closedBeforeUpgrade)
                context.close(promise: nil)
            } else {
                pending = buffer
            }
            return false
        }
        // "HTTP/1.1 101 Switching Protocols": the status is the second word of the first line.
        let head = buffer.readString(length: end) ?? ""
        let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 101 else {
            upgraded.fail(WebSocketConnector.Failure.refused(HTTPResponseStatus(statusCode: status)))
            context.close(promise: nil)
            return false
        }
        state = .open
        tally.connected += 1
        if let subscribe { send(opcode: 0x1, payload: Array(subscribe.utf8), context: context) }
        if slow { context.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
        upgraded.succeed(context.channel)
        return true
    }

    /// Handles every complete frame in `buffer` and keeps the incomplete rest for the next read.
    private func readFrames(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        guard buffer.readableBytes > 0 else { return }
        // Every frame in one read arrived at the same moment.
        let now = wallClockMicros()
        var control: [(opcode: UInt8, payload: [UInt8])] = []
        var incompleteFrameBytes = 0
        var broken = false
        let consumed = buffer.withUnsafeReadableBytes { bytes -> Int in
            var offset = 0
            while let frame = FrameHeader(bytes, at: offset) {
                guard frame.payloadLength <= Self.maximumFrameBytes else {
                    broken = true
                    return offset
                }
                let total = frame.headerLength + frame.payloadLength
                guard bytes.count - offset >= total else {
                    incompleteFrameBytes = total
                    break
                }
                let start = offset + frame.headerLength
                let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + frame.payloadLength)])
                switch frame.opcode {
                case 0x1, 0x0:
                    if frame.opcode == 0x1 { tally.frames += 1 }
                    if let mask = frame.maskOffset {
                        // Servers must not mask; tolerate one that does, at the cost of a copy.
                        let unmasked = payload.enumerated().map { $0.element ^ bytes[mask + $0.offset % 4] }
                        unmasked.withUnsafeBytes { tally.absorb($0, now: now) }
                    } else {
                        tally.absorb(payload, now: now)
                    }
                case 0x8, 0x9:
                    var content = Array(payload)
                    if let mask = frame.maskOffset {
                        for i in content.indices { content[i] ^= bytes[mask + i % 4] }
                    }
                    control.append((frame.opcode, content))
                default:
                    break
                }
                offset += total
            }
            return offset
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if broken {
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes > 0 {
            // Copy the partial frame into a buffer that will hold all of it, rather than keep (and regrow) the
            // whole read buffer it arrived in.
            var rest = context.channel.allocator.buffer(capacity: max(incompleteFrameBytes, buffer.readableBytes))
            rest.writeBuffer(&buffer)
            pending = rest
        }
        for (opcode, payload) in control {
            if opcode == 0x9 {
                send(opcode: 0xA, payload: payload, context: context)
            } else {
                send(opcode: 0x8, payload: Array(payload.prefix(2)), context: context)
                context.close(promise: nil)
                return
            }
        }
    }

    /// Writes one client frame: final, masked (clients must mask), with a payload under 64 KiB.
    private func send(opcode: UInt8, payload: [UInt8], context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: payload.count + 8)
        frame.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            frame.writeInteger(0x80 | UInt8(payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

/// The header of one WebSocket frame (RFC 6455 §5.2), read from raw bytes; nil until the whole header is there.
struct FrameHeader {
    let opcode: UInt8
    let headerLength: Int
    let payloadLength: Int
    /// Where the masking key starts, for the rare server that masks.
    let maskOffset: Int?

    init?(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        let available = bytes.count - offset
        guard available >= 2 else { return nil }
        opcode = bytes[offset] & 0x0F
        let masked = bytes[offset + 1] & 0x80 != 0
        var length = Int(bytes[offset + 1] & 0x7F)
        var header = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            header = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            var long: UInt64 = 0
            for i in 2..<10 { long = long << 8 | UInt64(bytes[offset + i]) }
            length = Int(clamping: long)
            header = 10
        }
        if masked {
            guard available >= header + 4 else { return nil }
            maskOffset = offset + header
            header += 4
        } else {
            maskOffset = nil
        }
        headerLength = header
        payloadLength = length
    }
}

enum LoadClient {
    /// Opens one client on `loop`; the future completes once the server has answered 101, or fails on refusal,
    /// close or timeout.
    static func connect(
        host: String, port: Int, path: String, loop: EventLoop, subscribe: String?, tally: LoadTally, slow: Bool,
        timeout: TimeAmount = .seconds(10)
    ) -> EventLoopFuture<Channel> {
        WebSocketConnector.bounded(on: loop, timeout: timeout) { upgraded in
            ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LoadClientHandler(
                            host: "\(host):\(port)", path: path, subscribe: subscribe, tally: tally, slow: slow,
                            upgraded: upgraded))
                    }
                }
                .connect(host: host, port: port)
        }
    }
}
