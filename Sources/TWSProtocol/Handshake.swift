import NIOCore

/// The client's opening bytes: `API\0`, then one length-prefixed, unterminated `v<min>..<max>[ options]`.
public struct ClientHello: Equatable, Sendable {
    public static let prefix: [UInt8] = Array("API\0".utf8)
    /// A hello longer than this is not a hello.
    static let maximumLength = 256

    public var versions: ClosedRange<Int>
    /// Connect options after the version range, e.g. `+PACEAPI`; empty when none.
    public var options: String

    public init(versions: ClosedRange<Int> = ServerVersion.clientRange, options: String = "") {
        self.versions = versions
        self.options = options
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeBytes(Self.prefix)
        var text = "v\(versions.lowerBound)..\(versions.upperBound)"
        if !options.isEmpty { text += " " + options }
        buffer.writeInteger(UInt32(text.utf8.count))
        buffer.writeString(text)
    }

    /// Reads a hello off the front of `buffer`; nil while it is incomplete.
    public static func decode(from buffer: inout ByteBuffer) throws -> ClientHello? {
        let available = min(buffer.readableBytes, prefix.count)
        guard let head = buffer.getBytes(at: buffer.readerIndex, length: available) else { return nil }
        guard head == Array(prefix.prefix(available)) else {
            throw TWSProtocolError.badHello("expected API\\0, got \(head)")
        }
        guard let length = buffer.getInteger(at: buffer.readerIndex + prefix.count, as: UInt32.self) else { return nil }
        guard length <= maximumLength else { throw TWSProtocolError.badHello("version string of \(length) bytes") }
        guard buffer.readableBytes >= prefix.count + 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: prefix.count + 4)
        let text = buffer.readString(length: Int(length)) ?? ""
        return try parse(text)
    }

    /// Parses `v157..178`, `v176`, `v100..177 +PACEAPI`; clients differ in trailing spaces.
    static func parse(_ text: String) throws -> ClientHello {
        let trimmed = text.trimmingSpaces()
        var range = Substring(trimmed)
        var options = ""
        if let space = trimmed.firstIndex(of: " ") {
            range = trimmed[..<space]
            options = String(trimmed[space...]).trimmingSpaces()
        }
        guard range.first == "v" else { throw TWSProtocolError.badHello("version text \"\(text)\"") }
        let bounds = range.dropFirst().split(separator: ".", omittingEmptySubsequences: true)
        guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
              low <= high, low > 0
        else { throw TWSProtocolError.badHello("version text \"\(text)\"") }
        return ClientHello(versions: low...high, options: options)
    }
}

/// The server's first frame: exactly two fields, the negotiated version and the connection time.
public struct ServerHello: Equatable, Sendable {
    public var serverVersion: Int
    /// `yyyyMMdd HH:mm:ss <zone>`; the zone may be an abbreviation or a long Java name.
    public var connectionTime: String

    public init(serverVersion: Int, connectionTime: String) {
        self.serverVersion = serverVersion
        self.connectionTime = connectionTime
    }

    public func encode(into buffer: inout ByteBuffer) {
        TWSFraming.writeFrame(into: &buffer) { payload in
            payload.writeString(String(serverVersion)); payload.writeInteger(UInt8(0))
            payload.writeString(connectionTime); payload.writeInteger(UInt8(0))
        }
    }

    /// The hello is the first frame with exactly two fields; clients skip anything before it.
    public init?(frame: ByteBuffer) {
        let fields = TWSFraming.fields(of: frame)
        guard fields.count == 2, let version = Int(fields[0]) else { return nil }
        self.init(serverVersion: version, connectionTime: fields[1])
    }

    /// The highest version both sides speak, or nil when the ranges do not meet.
    public static func negotiate(client: ClosedRange<Int>, serverMaximum: Int) -> Int? {
        let version = min(client.upperBound, serverMaximum)
        return client.contains(version) ? version : nil
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
