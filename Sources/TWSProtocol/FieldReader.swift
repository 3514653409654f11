#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads NUL-terminated fields in place from a frame payload, without copying numbers into strings.
///
/// Valid only inside the `withUnsafeReadableBytes` scope that produced `bytes`.
public struct FieldReader: WireCoder {
    public let serverVersion: Int
    public var isDecoding: Bool { true }
    /// The message being read, for error reports.
    public var messageID: Int
    let bytes: UnsafeRawBufferPointer
    var position: Int
    public private(set) var fieldIndex: Int

    public init(bytes: UnsafeRawBufferPointer, serverVersion: Int, messageID: Int = -1) {
        self.bytes = bytes
        self.serverVersion = serverVersion
        self.messageID = messageID
        self.position = 0
        self.fieldIndex = 0
    }

    public var isAtEnd: Bool { position >= bytes.count }

    /// The next field's bytes, without its terminator.
    mutating func next() throws -> UnsafeRawBufferPointer {
        let start = position
        guard start < bytes.count, let base = bytes.baseAddress,
              let nul = memchr(base + start, 0, bytes.count - start)
        else { throw TWSProtocolError.truncated(messageID: messageID, fieldIndex: fieldIndex) }
        let end = base.distance(to: UnsafeRawPointer(nul))
        position = end + 1
        fieldIndex += 1
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    func malformed(_ field: UnsafeRawBufferPointer) -> TWSProtocolError {
        .malformedField(messageID: messageID, fieldIndex: fieldIndex - 1, text: String(decoding: field, as: UTF8.self))
    }

    /// Skips `n` fields (parts of a message this codec does not model).
    public mutating func skip(_ n: Int) throws {
        for _ in 0..<n { _ = try next() }
    }

    public mutating func readString() throws -> String {
        let field = try next()
        let text = String(decoding: field, as: UTF8.self)
        if serverVersion >= ServerVersion.encodeMessageASCII7, field.count >= 6, text.contains("\\u") {
            return Self.unescape(text)
        }
        return text
    }

    /// An integer, or nil for an empty field. Anything but an optional sign and digits is malformed.
    public mutating func readOptionalInt() throws -> Int? {
        let field = try next()
        if field.isEmpty { return nil }
        var index = 0
        let negative = field[0] == UInt8(ascii: "-")
        if negative || field[0] == UInt8(ascii: "+") { index = 1 }
        guard index < field.count else { throw malformed(field) }
        // Negative numbers accumulate downwards, so Java's Long.MIN_VALUE fits.
        var value = 0
        while index < field.count {
            let digit = Int(field[index]) &- 48
            guard digit >= 0, digit <= 9 else { throw malformed(field) }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw malformed(field) }
            value = sum
            index += 1
        }
        return value
    }

    /// A double, or nil for an empty field.
    public mutating func readOptionalDouble() throws -> Double? {
        let field = try next()
        guard !field.isEmpty else { return nil }
        // The field is NUL-terminated in the frame, so strtod can run on it in place.
        let start = field.baseAddress!.assumingMemoryBound(to: CChar.self)
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(start, &end)
        if let end, UnsafePointer(end) == start + field.count { return value }
        // Java writes "Infinity"; ib_async writes "Infinite".
        switch String(decoding: field, as: UTF8.self) {
        case "Infinity", "Infinite": return .infinity
        case "-Infinity", "-Infinite": return -.infinity
        default: throw malformed(field)
        }
    }

    public mutating func version(_ value: Int) throws { _ = try next() }
    public mutating func field(_ value: inout Int) throws { value = try readOptionalInt() ?? 0 }
    public mutating func field(_ value: inout Int?) throws {
        let v = try readOptionalInt()
        value = (v == Sentinel.int || v == Sentinel.long) ? nil : v
    }
    public mutating func field(_ value: inout Double) throws { value = try readOptionalDouble() ?? 0 }
    public mutating func field(_ value: inout Double?, unset: UnsetDouble) throws {
        let v = try readOptionalDouble()
        value = v == Sentinel.double ? nil : v
    }
    public mutating func field(_ value: inout String) throws { value = try readString() }
    public mutating func field(_ value: inout Bool) throws {
        let field = try next()
        switch String(decoding: field, as: UTF8.self) {
        case "1", "true", "True": value = true
        case "0", "", "false", "False": value = false
        default: throw malformed(field)
        }
    }
    public mutating func count(_ value: inout Int) throws {
        let n = try readOptionalInt() ?? 0
        // Every entry takes at least one byte, so a count beyond the remaining bytes is a lie.
        guard n >= 0, n <= bytes.count - position else {
            throw TWSProtocolError.implausibleCount(messageID: messageID, count: n)
        }
        value = n
    }

    /// Undoes TWS's `\uXXXX` escaping of non-ASCII text.
    static func unescape(_ text: String) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(text.utf16.count)
        let source = Array(text.utf16)
        var i = 0
        while i < source.count {
            if source[i] == 0x5C, i + 6 <= source.count, source[i + 1] == 0x75,
               let code = UInt16(String(decoding: source[(i + 2)..<(i + 6)], as: UTF16.self), radix: 16) {
                units.append(code)
                i += 6
            } else {
                units.append(source[i])
                i += 1
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
