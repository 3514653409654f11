import NIOCore
import TWSProtocol
import TickhubCore

/// A fixture that is not shaped as expected.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Small builders and views for TWS payloads in tests.
enum Wire {
    static let allocator = ByteBufferAllocator()

    /// A payload from pipe notation, where every `|` is a field's NUL terminator: `"49|1|"` is `49\0 1\0`.
    static func payload(_ pipes: String) -> ByteBuffer {
        buffer(Array(pipes.utf8).map { $0 == UInt8(ascii: "|") ? 0 : $0 })
    }

    /// A payload from its fields: each one NUL-terminated.
    static func payload(fields: [String]) -> ByteBuffer {
        var out = allocator.buffer(capacity: 64)
        for field in fields {
            out.writeString(field)
            out.writeInteger(UInt8(0))
        }
        return out
    }

    /// A payload behind its 4-byte big-endian length.
    static func framed(_ payload: ByteBuffer) -> ByteBuffer {
        var out = allocator.buffer(capacity: payload.readableBytes + 4)
        out.writeInteger(UInt32(payload.readableBytes))
        out.writeImmutableBuffer(payload)
        return out
    }

    static func buffer(_ bytes: some Sequence<UInt8>) -> ByteBuffer {
        var out = allocator.buffer(capacity: 64)
        out.writeBytes(Array(bytes))
        return out
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] {
        Array(buffer.readableBytesView)
    }

    /// A message's encoded payload: its frame without the length prefix.
    static func payload(of message: any TWSMessage, serverVersion: Int) -> ByteBuffer {
        var frame = message.frame(serverVersion: serverVersion)
        let length = frame.readInteger(as: UInt32.self)
        precondition(Int(length ?? 0) == frame.readableBytes, "the length prefix must cover the payload exactly")
        return frame
    }

    /// A payload in pipe notation (the inverse of `payload(_:)`); for readable comparisons.
    static func pipes(_ payload: ByteBuffer) -> String {
        String(decoding: bytes(payload).map { $0 == 0 ? UInt8(ascii: "|") : $0 }, as: UTF8.self)
    }

    /// Every complete frame in `bytes`, and how many bytes were left over.
    static func frames(in bytes: [UInt8], maximumLength: Int = TWSFraming.defaultMaximumFrameLength)
        throws -> (frames: [ByteBuffer], leftover: Int)
    {
        var input = buffer(bytes)
        var frames: [ByteBuffer] = []
        while let frame = try TWSFraming.nextFrame(from: &input, maximumLength: maximumLength) {
            frames.append(frame)
        }
        return (frames, input.readableBytes)
    }

    /// Feeds `bytes` to `TWSFraming.nextFrame` in pieces whose sizes `chunk(i)` gives, as a socket would.
    static func reassemble(_ bytes: [UInt8], chunk: (Int) -> Int) throws -> (frames: [[UInt8]], leftover: Int) {
        var accumulated = allocator.buffer(capacity: 0)
        var frames: [[UInt8]] = []
        var offset = 0
        var step = 0
        while offset < bytes.count {
            let n = min(max(1, chunk(step)), bytes.count - offset)
            accumulated.writeBytes(bytes[offset..<(offset + n)])
            offset += n
            step += 1
            while let frame = try TWSFraming.nextFrame(from: &accumulated) {
                frames.append(Array(frame.readableBytesView))
            }
            // Compact now and then, as a real reader does, so reader indices move around.
            if step % 7 == 0 { accumulated.discardReadBytes() }
        }
        return (frames, accumulated.readableBytes)
    }
}

extension ServerMessage {
    /// The case name, with the id for `.unknown`: `accountValue`, `unknown(5)`.
    var kind: String {
        if case let .unknown(id) = self { return "unknown(\(id))" }
        return Mirror(reflecting: self).children.first?.label ?? "?"
    }
}

extension ClientMessage {
    var kind: String {
        if case let .unknown(id) = self { return "unknown(\(id))" }
        return Mirror(reflecting: self).children.first?.label ?? "?"
    }

    /// The request inside, for encoding; nil for `.unknown`.
    var message: (any TWSMessage)? {
        switch self {
        case let .startAPI(m): m
        case let .requestMarketData(m): m
        case let .cancelMarketData(m): m
        case let .requestMarketDataType(m): m
        case let .requestContractDetails(m): m
        case let .requestPositions(m): m
        case let .cancelPositions(m): m
        case let .requestAccountSummary(m): m
        case let .cancelAccountSummary(m): m
        case let .requestAccountUpdates(m): m
        case let .requestAccountUpdatesMulti(m): m
        case let .requestPnL(m): m
        case let .cancelPnL(m): m
        case let .requestPnLSingle(m): m
        case let .cancelPnLSingle(m): m
        case let .requestIDs(m): m
        case let .requestCurrentTime(m): m
        case let .requestManagedAccounts(m): m
        case let .requestOpenOrders(m): m
        case let .requestAllOpenOrders(m): m
        case let .requestAutoOpenOrders(m): m
        case let .requestCompletedOrders(m): m
        case let .requestExecutions(m): m
        case let .requestHistoricalData(m): m
        case let .cancelHistoricalData(m): m
        case let .requestHeadTimestamp(m): m
        case let .cancelHeadTimestamp(m): m
        case .unknown: nil
        }
    }
}
