import NIOCore

/// Writes fields, each NUL-terminated, into a frame being built.
public struct FieldWriter: WireCoder {
    public let serverVersion: Int
    public var isDecoding: Bool { false }
    public var buffer: ByteBuffer
    /// An empty buffer to swap in while a writer owns the real one.
    static let placeholder = ByteBuffer()

    public init(serverVersion: Int, buffer: ByteBuffer) {
        self.serverVersion = serverVersion
        self.buffer = buffer
    }

    mutating func terminate() {
        buffer.writeInteger(UInt8(0))
    }

    public mutating func write(_ value: Int) {
        // Digits straight into the buffer: the simulator writes several hundred thousand ints a second.
        if value == 0 { buffer.writeInteger(UInt8(ascii: "0")); terminate(); return }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits and a sign
        withUnsafeMutableBytes(of: &digits) { scratch in
            var end = scratch.count
            while magnitude > 0 {
                end -= 1
                scratch[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            if value < 0 { end -= 1; scratch[end] = UInt8(ascii: "-") }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[end...]))
        }
        terminate()
    }

    public mutating func write(_ value: String) {
        if serverVersion >= ServerVersion.encodeMessageASCII7, !value.utf8.allSatisfy({ $0 < 0x80 }) {
            buffer.writeString(Self.escapeNonASCII(value))
        } else {
            buffer.writeString(value)
        }
        terminate()
    }

    public mutating func write(_ value: Double) {
        buffer.writeString(JavaDouble.format(value))
        terminate()
    }

    public mutating func version(_ value: Int) { write(value) }
    public mutating func field(_ value: inout Int) { write(value) }
    public mutating func field(_ value: inout Int?) {
        if let value { write(value) } else { terminate() }
    }
    public mutating func field(_ value: inout Double) { write(value) }
    public mutating func field(_ value: inout Double?, unset: UnsetDouble) {
        switch (value, unset) {
        case let (v?, _): write(v)
        case (nil, .empty): terminate()
        case (nil, .sentinel): write(Sentinel.double)
        }
    }
    public mutating func field(_ value: inout String) { write(value) }
    public mutating func field(_ value: inout Bool) { write(value ? 1 : 0) }
    public mutating func count(_ value: inout Int) { write(value) }

    /// TWS from version 153 sends non-ASCII characters as `\uXXXX` (UTF-16 units).
    static func escapeNonASCII(_ text: String) -> String {
        var out = ""
        for unit in text.utf16 {
            if unit < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else {
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out
    }
}
