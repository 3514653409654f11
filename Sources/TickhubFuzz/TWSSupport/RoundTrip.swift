import FuzzSupport
import NIOCore
import TWSProtocol

/// One layout per message reads and writes it, so a decoded message, written back, must read as itself.
public enum RoundTrip {
    /// A message's payload: its frame without the length prefix, which must cover the payload exactly.
    public static func payload(of message: any TWSMessage, serverVersion: Int) -> [UInt8] {
        var frame = message.frame(serverVersion: serverVersion)
        let length = frame.readInteger(as: UInt32.self)
        invariant(length.map(Int.init) == frame.readableBytes,
                  "\(type(of: message)) wrote a length prefix of \(String(describing: length)) for \(frame.readableBytes) bytes")
        return Array(frame.readableBytesView)
    }

    /// Writes `message` and reads it back with `decode`: it must read as the same message, and write as the same bytes.
    /// Returns the first write, the canonical form of what was decoded.
    public static func check(
        _ message: any TWSMessage, serverVersion: Int, decode: (ByteBuffer) throws -> (any TWSMessage)?
    ) -> [UInt8] {
        let written = payload(of: message, serverVersion: serverVersion)
        let reread: (any TWSMessage)?
        do {
            reread = try decode(ByteBuffer(bytes: written))
        } catch {
            violated("\(type(of: message)) at \(serverVersion) wrote \(show(written)), which reads back as \(error)")
        }
        guard let reread else { violated("\(type(of: message)) at \(serverVersion) wrote \(show(written)), an unknown message") }
        invariant(ObjectIdentifier(type(of: reread)) == ObjectIdentifier(type(of: message)),
                  "\(type(of: message)) at \(serverVersion) reads back as \(type(of: reread))")
        if !equal(message, reread) {
            let printed = canonical(message)
            // From version 153 the reader turns `\uXXXX` into the character and the writer escapes only non-ASCII, so
            // a string holding the text `\u0041` reads back as `A`. TWS's escaping has the same ambiguity; such a
            // message must still read back, but need not read as itself. (Printed, the string's backslash is doubled.)
            if serverVersion >= ServerVersion.encodeMessageASCII7, printed.contains("\\\\u") { return written }
            invariant(canonical(reread) == printed, """
                \(type(of: message)) at \(serverVersion) does not survive a round trip through \(show(written)):
                  decoded: \(printed)
                  reread:  \(canonical(reread))
                """)
        }
        let rewritten = payload(of: reread, serverVersion: serverVersion)
        invariant(rewritten == written, """
            \(type(of: message)) at \(serverVersion) is written two ways:
              written:   \(show(written))
              rewritten: \(show(rewritten))
            """)
        return written
    }

    /// `==` across the existential; the printed form is the slow path for what `==` cannot say (NaN).
    static func equal<Message: TWSMessage>(_ message: Message, _ other: any TWSMessage) -> Bool {
        (other as? Message) == message
    }

    /// A message printed: every field compares, and every NaN is the same NaN (Java writes them all as `NaN`, so a
    /// sign or payload strtod read cannot survive, and need not).
    static func canonical(_ message: any TWSMessage) -> String {
        let printed = String(reflecting: message)
        guard printed.contains("nan") else { return printed }
        return printed.replacing(#/-?s?nan(\(0x[0-9a-f]+\))?/#, with: "nan")
    }

    /// Pipe notation, as the tests and the fixture dumps write payloads.
    public static func show(_ bytes: [UInt8]) -> String {
        "\"" + String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: "|") : $0 }, as: UTF8.self) + "\""
    }
}
