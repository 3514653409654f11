import NIOCore

/// Splits a byte stream into TWS frame payloads. Used by clients, whose first inbound bytes are already framed.
public struct TWSFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = TWSFraming.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try TWSFraming.nextFrame(from: &buffer, maximumLength: maximumFrameLength) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A partial frame at EOF is simply lost with the connection; the owner reconnects.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
