import NIOCore

/// What a TWS server reads from a client: one hello, then frames.
public enum TWSServerInbound: Sendable {
    case hello(ClientHello)
    case frame(ByteBuffer)
}

/// Inbound decoder for the server side of a TWS socket, where the first bytes are an unframed hello.
public struct TWSServerDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = TWSServerInbound

    private var sawHello = false
    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = TWSFraming.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if !sawHello {
            guard let hello = try ClientHello.decode(from: &buffer) else { return .needMoreData }
            sawHello = true
            context.fireChannelRead(Self.wrapInboundOut(.hello(hello)))
            return .continue
        }
        guard let frame = try TWSFraming.nextFrame(from: &buffer, maximumLength: maximumFrameLength) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(.frame(frame)))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
