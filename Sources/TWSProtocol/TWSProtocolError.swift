/// Everything that can be wrong with bytes from the other side of a TWS socket.
///
/// Each case says where the problem is, so a log line is enough to find the offending frame.
public enum TWSProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The 4-byte length prefix announced more than the configured limit.
    case frameTooLarge(length: Int, limit: Int)
    /// A message ended before all the fields its layout names were read.
    case truncated(messageID: Int, fieldIndex: Int)
    /// A field did not parse as the type its layout names.
    case malformedField(messageID: Int, fieldIndex: Int, text: String)
    /// A repeated-group count that cannot fit in the rest of the frame.
    case implausibleCount(messageID: Int, count: Int)
    /// The first bytes of a connection were not a TWS API hello.
    case badHello(String)
    /// The peers share no protocol version.
    case versionMismatch(client: ClosedRange<Int>, server: Int)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            return "TWS frame of \(length) bytes exceeds the \(limit)-byte limit"
        case let .truncated(id, index):
            return "TWS message \(id) ended at field \(index) before its layout did"
        case let .malformedField(id, index, text):
            return "TWS message \(id) field \(index) is malformed: \"\(text.prefix(64))\""
        case let .implausibleCount(id, count):
            return "TWS message \(id) announces \(count) repeated entries, more than its frame can hold"
        case let .badHello(why):
            return "not a TWS API hello: \(why)"
        case let .versionMismatch(client, server):
            return "server version \(server) is outside the client's range \(client.lowerBound)...\(client.upperBound)"
        }
    }
}
