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

/// Stands where the simulator's SessionHandler stands, and follows its rules without its engine.
final class SessionRecorder: ChannelInboundHandler {
    typealias InboundIn = TWSServerInbound

    let trace: Trace
    let cursor: StreamCursor
    let serverMaximum: Int
    var serverVersion: Int?
    /// The simulator hangs up on a client whose range it cannot meet; nothing after that is read.
    var hungUp = false

    init(trace: Trace, cursor: StreamCursor, serverMaximum: Int) {
        self.trace = trace
        self.cursor = cursor
        self.serverMaximum = serverMaximum
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .hello(hello):
            cursor.helloDelivered()
            check(hello)
            var version = ServerHello.negotiate(client: hello.versions, serverMaximum: serverMaximum)
            if let agreed = version {
                invariant(hello.versions.contains(agreed) && agreed <= serverMaximum,
                          "agreed \(agreed) with a client at \(hello.versions) and a server up to \(serverMaximum)")
            } else {
                invariant(hello.versions.lowerBound > serverMaximum,
                          "no version agreed with a client at \(hello.versions) and a server up to \(serverMaximum)")
            }
            if let agreed = version, agreed < ServerVersion.minimumSupported { version = nil }
            trace.append(.hello(versions: hello.versions, options: hello.options, negotiated: version))
            serverVersion = version
            hungUp = version == nil
        case let .frame(frame):
            cursor.frameDelivered(frame)
            trace.append(.frame(frame.readableBytes))
            guard !hungUp else { return }
            guard let version = serverVersion else { violated("a frame before the hello") }
            let message: ClientMessage
            do {
                message = try ClientMessage.decode(frame, serverVersion: version)
            } catch {
                invariant(error is TWSProtocolError, "ClientMessage.decode threw \(error), not a TWSProtocolError")
                trace.append(.messageError("\(error)"))
                return
            }
            if case let .unknown(id) = message {
                trace.append(.unknown(id: id))
                return
            }
            let bytes = RoundTrip.check(request(in: message), serverVersion: version) { payload in
                let decoded = try ClientMessage.decode(payload, serverVersion: version)
                if case .unknown = decoded { return nil }
                return request(in: decoded)
            }
            trace.append(.message(bytes))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !trace.decoderFailed else {
            guard case ByteToMessageDecoderError.dataReceivedInErrorState = error else {
                violated("decoder error after its first: \(error)")
            }
            return
        }
        cursor.refused(error)
        trace.append(Trace.decoderError(error))
    }

    func check(_ hello: ClientHello) {
        invariant(hello.versions.lowerBound > 0, "a hello with versions \(hello.versions)")
        invariant(hello.options.first != " " && hello.options.last != " ", "untrimmed options \"\(hello.options)\"")
        var written = ByteBuffer()
        hello.encode(into: &written)
        // Written back, `v1.2` becomes `v1..2`: one byte longer, which can pass the hello limit.
        guard written.readableBytes <= ClientHello.prefix.count + 4 + StreamCursor.maximumHelloLength else { return }
        do {
            let reread = try ClientHello.decode(from: &written)
            invariant(reread == hello, "hello \(hello) reads back as \(String(describing: reread))")
            invariant(written.readableBytes == 0, "hello \(hello) leaves \(written.readableBytes) bytes when read back")
        } catch {
            violated("hello \(hello), written back, is refused: \(error)")
        }
    }
}

/// The request inside a decoded message. ClientMessage has no accessor for it; a mirror finds it without a list of
/// cases here that would fall behind the enum's.
func request(in message: ClientMessage) -> any TWSMessage {
    guard let inner = Mirror(reflecting: message).children.first?.value as? any TWSMessage else {
        violated("\(message) carries no TWSMessage")
    }
    return inner
}

#if !TICKHUB_FUZZING
@main enum ReplayMain {
    static func main() { Replay.run(fuzz) }
}
#endif
