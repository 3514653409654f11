import FuzzSupport
import FuzzTWSSupport
import NIOCore
import TWSProtocol

// fuzz-tws-frames: what TWS sends, through the client pipeline the IBKR provider runs
// (TWSFrameDecoder, then TWSClientHandler: the server hello, then ServerMessage decoding).
//
// Input: [reads][frame limit][client versions][bytes from the server...]
//   reads:    how the stream is cut into socket reads (`Chunking`)
//   limit:    the decoder's frame limit; small ones make the oversized-frame path reachable at fuzzing sizes
//   versions: the range the client advertises, which decides which server hellos it accepts
//
// Checked on every input:
// - nothing traps, every decode error is a TWSProtocolError, and the pipeline never lets one through to its end;
// - the frames delivered are the stream's own bytes, in order, cut where the length prefixes say, none beyond the
//   limit and none left behind at EOF; a refusal is frameTooLarge for exactly the prefix that broke the limit;
// - the client connects at most once, at a version within its range, and decodes nothing before that;
// - every decoded message, written back at the negotiated version, reads back as itself (`RoundTrip`);
// - the stream decodes to the same frames, messages and errors whole and cut into reads.

let frameLimits = [TWSFraming.defaultMaximumFrameLength, 64, 256, 1500]
let clientRanges = [ServerVersion.clientRange, ServerVersion.minimumSupported...ServerVersion.maximumSupported]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let chunking = Chunking(input.byte())
    let limit = input.pick(frameLimits)
    let versions = input.pick(clientRanges)
    let stream = input.rest()

    let whole = clientTrace(stream, reads: stream.isEmpty ? [] : [stream.count], limit: limit, versions: versions)
    let chunked = clientTrace(stream, reads: chunking.sizes(for: stream.count), limit: limit, versions: versions)
    Trace.expectSame(whole, chunked, chunking.description)
    return 0
}

func clientTrace(_ stream: [UInt8], reads: [Int], limit: Int, versions: ClosedRange<Int>) -> Trace {
    let trace = Trace()
    let cursor = StreamCursor(stream: stream, limit: limit)
    Pipeline.run([
        ByteToMessageHandler(TWSFrameDecoder(maximumFrameLength: limit)),
        FrameTap(trace: trace, cursor: cursor),
        TWSClientHandler(clientID: 0, versions: versions),
        ClientRecorder(trace: trace, versions: versions),
    ], stream, reads: reads)
    cursor.finished(failed: trace.decoderFailed)
    return trace
}

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

/// At the end of the pipeline: what the IBKR session would be handed.
final class ClientRecorder: ChannelInboundHandler {
    typealias InboundIn = TWSClientEvent

    let trace: Trace
    let versions: ClosedRange<Int>
    var serverVersion: Int?

    init(trace: Trace, versions: ClosedRange<Int>) {
        self.trace = trace
        self.versions = versions
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .connected(version, time):
            invariant(serverVersion == nil, "connected a second time, at \(version)")
            invariant(versions.contains(version), "connected at \(version), outside the client's \(versions)")
            serverVersion = version
            trace.append(.connected(version: version, time: time))
        case let .message(message):
            guard let version = serverVersion else { violated("\(message) before the server hello") }
            guard let inner = message.message else { violated("an unknown message reached the session: \(message)") }
            let bytes = RoundTrip.check(inner, serverVersion: version) { payload in
                try ServerMessage.decode(payload, serverVersion: version).message
            }
            trace.append(.message(bytes))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        invariant(error is TWSProtocolError, "the client handler reported \(error), not a TWSProtocolError")
        trace.append(.messageError("\(error)"))
    }
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
