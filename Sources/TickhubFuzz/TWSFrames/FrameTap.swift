import FuzzSupport
import FuzzTWSSupport
import NIOCore

/// Between the decoder and the client handler: sees each frame, and the decoder's errors.
final class FrameTap: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let trace: Trace
    let cursor: StreamCursor

    init(trace: Trace, cursor: StreamCursor) {
        self.trace = trace
        self.cursor = cursor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        cursor.frameDelivered(frame)
        trace.append(.frame(frame.readableBytes))
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !trace.decoderFailed else {
            // Once failed, NIO reports every later read as data in the error state; the first error is the one.
            guard case ByteToMessageDecoderError.dataReceivedInErrorState = error else {
                violated("decoder error after its first: \(error)")
            }
            return
        }
        cursor.refused(error)
        trace.append(Trace.decoderError(error))
    }
}
