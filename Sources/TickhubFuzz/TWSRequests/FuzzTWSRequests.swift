import FuzzSupport
import FuzzTWSSupport
import NIOCore
import TWSProtocol

// fuzz-tws-requests: what a client sends, read as the simulator reads it (TWSServerDecoder: the unframed hello,
// then frames; the version agreed as SimulatorEngine.handleHello agrees it; ClientMessage decoding).
//
// Input: [reads][frame limit][server version][bytes from the client...]
//   server version: the simulator's configured maximum, which with the client's range decides the agreed version
//
// Checked on every input:
// - nothing traps, every error is a TWSProtocolError, and the pipeline never lets one through to its end;
// - the hello is read only from a stream that starts with API\0 and a length of at most 256, and only once; a
//   refusal before it is badHello; a hello's range is positive and ordered, its options trimmed, and written back
//   it reads as itself;
// - the agreed version is within the client's range and at most the server's, or the client is refused;
// - the frames after the hello are the stream's own bytes, cut where the length prefixes say (`StreamCursor`);
// - every decoded request, written back at the agreed version, reads back as itself (`RoundTrip`);
// - the stream decodes to the same hello, requests and errors whole and cut into reads.

let frameLimits = [TWSFraming.defaultMaximumFrameLength, 64, 256, 1500]
let serverVersions = [176, 178, 200, 157, 163, 187, 194]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let chunking = Chunking(input.byte())
    let limit = input.pick(frameLimits)
    let serverMaximum = input.pick(serverVersions)
    let stream = input.rest()

    let whole = serverTrace(stream, reads: stream.isEmpty ? [] : [stream.count], limit: limit, serverMaximum: serverMaximum)
    let chunked = serverTrace(stream, reads: chunking.sizes(for: stream.count), limit: limit, serverMaximum: serverMaximum)
    Trace.expectSame(whole, chunked, chunking.description)
    return 0
}

func serverTrace(_ stream: [UInt8], reads: [Int], limit: Int, serverMaximum: Int) -> Trace {
    let trace = Trace()
    let cursor = StreamCursor(stream: stream, limit: limit, expectsHello: true)
    Pipeline.run([
        ByteToMessageHandler(TWSServerDecoder(maximumFrameLength: limit)),
        SessionRecorder(trace: trace, cursor: cursor, serverMaximum: serverMaximum),
    ], stream, reads: reads)
    cursor.finished(failed: trace.decoderFailed)
    return trace
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
