import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket

/// The bench's own feed: one WebSocket to the server's publish endpoint, paced on an event-loop thread of its
/// own so that client loops busy reading never delay a send.
///
/// Every 1 ms it sends what the target rate says is due, as one frame (an object for one update, an array for
/// more, at most `batch` per frame). It counts only what it actually handed to the socket: a server that stops
/// reading, or a publisher that cannot keep up, shows as a published rate under the target.
final class Publisher: @unchecked Sendable {
    // Everything mutable is touched only on `loop`.
    private let group: MultiThreadedEventLoopGroup
    private let loop: EventLoop
    private let channel: Channel
    private let replies: PublisherReplies
    private let batch: Int
    private var quotes: QuoteWalk
    /// Per symbol, how many reading clients subscribe to it: what one update of it should be delivered as.
    private var readers: [Int] = []
    private var rate = 0.0
    private var owed = 0.0
    private var lastTick = NIODeadline.now()
    private var ticker: RepeatedTask?
    private var lastStamp: UInt64 = 0
    private var counters = Counters()
    private var burst: (pending: Int, stamps: [UInt64], done: EventLoopPromise<[UInt64]>)?

    /// Updates written to the socket, and the deliveries they should produce, since the connection opened.
    struct Counters: Sendable {
        var sent = 0
        var expected = 0
    }

    /// A publisher that fell behind forgets what it owes beyond this much time instead of bursting it all later;
    /// the shortfall is then visible in the published rate. Long enough to ride out the tens of milliseconds a
    /// busy machine can take to wake the thread; a server that stops reading the feed exceeds it.
    private static let maximumBacklogSeconds = 0.2

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, replies: PublisherReplies, batch: Int,
                 quotes: QuoteWalk) {
        self.group = group
        self.loop = channel.eventLoop
        self.channel = channel
        self.replies = replies
        self.batch = batch
        self.quotes = quotes
    }

    /// Connects to `path` with the token both as a bearer header and as `?token=`, so either kind of server
    /// accepts it.
    static func connect(host: String, port: Int, path: String, token: String, universe: [String], batch: Int,
                        seed: UInt64) async throws -> Publisher {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let replies = PublisherReplies()
        var uri = path
        var headers: [(String, String)] = []
        if !token.isEmpty {
            headers.append(("Authorization", "Bearer \(token)"))
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+#")
            uri += (path.contains("?") ? "&" : "?") + "token="
                + (token.addingPercentEncoding(withAllowedCharacters: allowed) ?? token)
        }
        do {
            let channel = try await WebSocketConnector.connect(
                host: host, port: port, path: uri, headers: headers, on: group.next()
            ) { channel in
                try channel.pipeline.syncOperations.addHandler(PublisherReplyHandler(replies: replies))
            }.get()
            return Publisher(group: group, channel: channel, replies: replies, batch: max(1, batch),
                             quotes: QuoteWalk(universe: universe, seed: seed))
        } catch {
            try? await group.shutdownGracefully()
            throw FanoutError("publisher could not connect to \(path): \(error)")
        }
    }

    /// Thread-safe in NIO: false once the server has closed the connection.
    var isActive: Bool { channel.isActive }

    func setReaders(_ readers: [Int]) async throws {
        try await loop.submit { self.readers = readers }.get()
    }

    /// Starts (or retargets) the paced feed; 0 pauses it.
    func setRate(_ perSecond: Double) async throws {
        try await loop.submit {
            self.rate = perSecond
            self.owed = 0
            self.lastTick = .now()
            if self.ticker == nil {
                self.ticker = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) {
                    _ in self.tick()
                }
            }
        }.get()
    }

    func counts() async throws -> Counters {
        try await loop.submit { self.counters }.get()
    }

    /// The first text the server sent back (an error, usually), for the report.
    func firstReply() async -> String? {
        try? await loop.submit { self.replies.first }.get()
    }

    /// Sends `count` single-update frames of one symbol, `gap` apart, and returns the `ts` of each one written.
    func burst(symbol: Int, count: Int, gap: TimeAmount) async throws -> [UInt64] {
        try await loop.flatSubmit { () -> EventLoopFuture<[UInt64]> in
            let done = self.loop.makePromise(of: [UInt64].self)
            guard count > 0 else {
                done.succeed([])
                return done.futureResult
            }
            self.burst = (count, [], done)
            // Absolute deadlines, so the gaps do not stretch by each send's own cost.
            let start = NIODeadline.now()
            for k in 0..<count {
                self.loop.scheduleTask(deadline: start + .nanoseconds(gap.nanoseconds * Int64(k))) {
                    self.sendBurstUpdate(symbol: symbol)
                }
            }
            // A server that stopped reading leaves writes pending forever; give up on them 5 s after the last send.
            let giveUp = start + .nanoseconds(gap.nanoseconds * Int64(count - 1)) + .seconds(5)
            self.loop.scheduleTask(deadline: giveUp) {
                guard let burst = self.burst, burst.done == done else { return }
                self.burst = nil
                done.succeed(burst.stamps.sorted())
            }
            return done.futureResult
        }.get()
    }

    func close() async {
        _ = try? await loop.submit {
            self.ticker?.cancel()
            self.ticker = nil
        }.get()
        // A close frame (1000, normal) first, so the server sees a goodbye rather than a reset feed.
        var status = channel.allocator.buffer(capacity: 2)
        status.writeInteger(UInt16(1000))
        let goodbye = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status)
        // Not awaited: a server that stopped reading would never let the write complete; the close ends it.
        channel.writeAndFlush(goodbye, promise: nil)
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private func tick() {
        let now = NIODeadline.now()
        let elapsed = Double((now - lastTick).nanoseconds) / 1e9
        lastTick = now
        guard rate > 0 else { return }
        owed = min(owed + rate * elapsed, max(rate * Self.maximumBacklogSeconds, 1))
        var frames = 0
        while owed >= 1 && channel.isWritable {
            let count = min(Int(owed), batch)
            write(count: count, flush: false) { $0.randomSymbol() }
            owed -= Double(count)
            frames += 1
        }
        if frames > 0 { channel.flush() }
    }

    private func sendBurstUpdate(symbol: Int) {
        let (future, stamp) = write(count: 1, flush: true) { _ in symbol }
        future.whenComplete { result in
            guard var burst = self.burst else { return }
            if case .success = result { burst.stamps.append(stamp) }
            burst.pending -= 1
            self.burst = burst
            if burst.pending == 0 {
                self.burst = nil
                burst.done.succeed(burst.stamps.sorted())
            }
        }
    }

    /// Writes one frame of `count` updates, all stamped with one `ts` read just before, and counts them once
    /// the write has succeeded.
    @discardableResult
    private func write(count: Int, flush: Bool, pick: (inout QuoteWalk) -> Int) -> (EventLoopFuture<Void>, UInt64) {
        // Unique and increasing, so a `ts` identifies its update (the burst keys arrivals by it).
        lastStamp = max(wallClockMicros(), lastStamp + 1)
        let stamp = lastStamp
        var buffer = channel.allocator.buffer(capacity: count * 128 + 2)
        var deliveries = 0
        if count > 1 { buffer.writeInteger(UInt8(ascii: "[")) }
        for k in 0..<count {
            if k > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            let symbol = pick(&quotes)
            quotes.writeNext(symbol: symbol, ts: stamp, into: &buffer)
            if symbol < readers.count { deliveries += readers[symbol] }
        }
        if count > 1 { buffer.writeInteger(UInt8(ascii: "]")) }
        let promise = loop.makePromise(of: Void.self)
        promise.futureResult.whenSuccess { [deliveries] in
            self.counters.sent += count
            self.counters.expected += deliveries
        }
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        if flush {
            channel.writeAndFlush(frame, promise: promise)
        } else {
            channel.write(frame, promise: promise)
        }
        return (promise.futureResult, stamp)
    }
}

/// What the server said to the publisher; touched only on the publisher's loop.
final class PublisherReplies: @unchecked Sendable {
    var first: String?
}

/// Answers the server's pings and keeps the first text it sends (a rejected publish usually explains itself).
final class PublisherReplyHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let replies: PublisherReplies

    init(replies: PublisherReplies) { self.replies = replies }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where replies.first == nil:
            replies.first = String(buffer: frame.unmaskedData).prefix(300).description
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if replies.first == nil {
                var data = frame.unmaskedData
                let code = data.readInteger(as: UInt16.self).map { "close \($0)" } ?? "close"
                replies.first = code + (data.readableBytes > 0 ? ": " + String(buffer: data) : "")
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
