import FuzzSupport
import FuzzTWSSupport
import NIOCore
import TWSProtocol

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
