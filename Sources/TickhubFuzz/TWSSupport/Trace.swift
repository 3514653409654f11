import FuzzSupport
import TWSProtocol

/// What one run of a TWS pipeline produced, in order: the result two runs over the same bytes must share.
///
/// Messages are kept as their re-encoded bytes, not as values: a decoded NaN is unequal to itself, and the
/// canonical bytes compare what matters, the fields.
public enum TraceEvent: Equatable, CustomStringConvertible {
    /// A frame the decoder delivered, by payload length; `StreamCursor` checks its bytes.
    case frame(Int)
    /// The decoder refused the stream; nothing after it counts, as the owner drops the connection.
    case decoderError(String)
    /// The client saw the server's hello.
    case connected(version: Int, time: String)
    /// The server read a client hello and agreed a version, or refused with nil.
    case hello(versions: ClosedRange<Int>, options: String, negotiated: Int?)
    case message([UInt8])
    case unknown(id: Int)
    case messageError(String)

    public var description: String {
        switch self {
        case let .frame(n): "frame of \(n) bytes"
        case let .decoderError(e): "decoder error: \(e)"
        case let .connected(v, t): "connected at \(v), \(t)"
        case let .hello(r, o, v): "hello \(r) \(o) -> \(v.map(String.init) ?? "refused")"
        case let .message(bytes): "message " + String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: "|") : $0 }, as: UTF8.self)
        case let .unknown(id): "unknown message \(id)"
        case let .messageError(e): "message error: \(e)"
        }
    }
}

public final class Trace {
    /// A decoder error as the trace keeps it. A refused hello's text quotes the bytes that had arrived when it was
    /// refused, which depends on the reads; that it was refused does not.
    public static func decoderError(_ error: Error) -> TraceEvent {
        if case TWSProtocolError.badHello = error { return .decoderError("badHello") }
        return .decoderError("\(error)")
    }


    public private(set) var events: [TraceEvent] = []
    public private(set) var decoderFailed = false

    public init() {}

    public func append(_ event: TraceEvent) {
        invariant(!decoderFailed, "\(event) after the decoder failed")
        if case .decoderError = event { decoderFailed = true }
        events.append(event)
    }

    /// Fails with both traces side by side at the first difference.
    public static func expectSame(_ whole: Trace, _ chunked: Trace, _ how: String) {
        guard whole.events != chunked.events else { return }
        let at = zip(whole.events, chunked.events).prefix(while: { $0 == $1 }).count
        func show(_ events: [TraceEvent]) -> String {
            events.indices.contains(at) ? events[at].description : "(nothing)"
        }
        violated("""
            the stream decodes differently whole and in \(how): event \(at) of \(whole.events.count) / \(chunked.events.count)
              whole:   \(show(whole.events))
              chunked: \(show(chunked.events))
            """)
    }
}
