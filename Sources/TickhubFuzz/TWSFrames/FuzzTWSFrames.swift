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

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
