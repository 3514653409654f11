import FuzzSupport
import NIOCore
import TWSProtocol

/// Follows the input stream by the framing rule alone (a 4-byte big-endian length, then the payload), and checks
/// each frame the decoder delivers against it: the same bytes, in order, none skipped, none invented.
///
/// With `expectsHello`, the stream first holds a client hello: `API\0`, a 4-byte length, the version text.
public final class StreamCursor {
    /// TWSProtocol refuses longer hellos (`ClientHello.maximumLength`, not public).
    public static let maximumHelloLength = 256

    let stream: [UInt8]
    let limit: Int
    public private(set) var offset = 0
    public private(set) var expectsHello: Bool

    public init(stream: [UInt8], limit: Int, expectsHello: Bool = false) {
        self.stream = stream
        self.limit = limit
        self.expectsHello = expectsHello
    }

    func length(at index: Int) -> Int? {
        guard index + 4 <= stream.count else { return nil }
        return stream[index..<(index + 4)].reduce(0) { $0 << 8 | Int($1) }
    }

    public func helloDelivered() {
        invariant(expectsHello, "a second hello at offset \(offset)")
        invariant(stream.starts(with: ClientHello.prefix), "a hello from a stream that does not start with API\\0")
        guard let length = length(at: ClientHello.prefix.count) else { violated("a hello before its length arrived") }
        invariant(length <= Self.maximumHelloLength, "a hello of \(length) bytes was accepted")
        offset = ClientHello.prefix.count + 4 + length
        invariant(offset <= stream.count, "a hello before all of its \(length) bytes arrived")
        expectsHello = false
    }

    public func frameDelivered(_ frame: ByteBuffer) {
        invariant(!expectsHello, "a frame before the hello")
        guard let length = length(at: offset) else { violated("a frame at offset \(offset) before its length arrived") }
        invariant(length <= limit, "a frame of \(length) bytes passed the \(limit)-byte limit")
        invariant(frame.readableBytes == length, "a frame of \(frame.readableBytes) bytes where the prefix says \(length)")
        invariant(offset + 4 + length <= stream.count, "a frame at offset \(offset) before all of it arrived")
        invariant(frame.readableBytesView.elementsEqual(stream[(offset + 4)..<(offset + 4 + length)]),
                  "the frame at offset \(offset) is not the bytes of the stream")
        offset += 4 + length
    }

    /// The decoder's one error: it must be the one the framing rule predicts at this point.
    public func refused(_ error: Error) {
        guard let error = error as? TWSProtocolError else { violated("the decoder threw \(error), not a TWSProtocolError") }
        if expectsHello {
            guard case .badHello = error else { violated("refused a hello with \(error)") }
            return
        }
        guard let length = length(at: offset) else { violated("refused a frame at \(offset) before its length arrived: \(error)") }
        invariant(length > limit, "refused a frame of \(length) bytes, within the \(limit)-byte limit: \(error)")
        invariant(error == .frameTooLarge(length: length, limit: limit), "refused a \(length)-byte frame with \(error)")
    }

    /// At the end of the stream, what is left must be less than one whole hello or frame.
    public func finished(failed: Bool) {
        guard !failed else { return }
        let remaining = stream.count - offset
        if expectsHello {
            let prefix = ClientHello.prefix
            invariant(stream.prefix(prefix.count).elementsEqual(prefix.prefix(min(prefix.count, stream.count))),
                      "a stream that does not start with API\\0 was not refused")
            guard let length = length(at: prefix.count) else { return }
            invariant(length <= Self.maximumHelloLength, "a hello of \(length) bytes was not refused")
            invariant(prefix.count + 4 + length > remaining, "a complete hello was never delivered")
            return
        }
        guard let length = length(at: offset) else { return }
        invariant(length <= limit, "a \(length)-byte frame beyond the \(limit)-byte limit was not refused")
        invariant(4 + length > remaining, "a complete \(length)-byte frame at offset \(offset) was never delivered")
    }
}
