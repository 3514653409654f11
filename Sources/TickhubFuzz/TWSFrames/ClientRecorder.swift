import FuzzSupport
import FuzzTWSSupport
import NIOCore
import TWSProtocol

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
