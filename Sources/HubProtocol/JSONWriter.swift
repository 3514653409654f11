/// Builds JSON bytes directly: the fan-out encodes every quote once, so this must not go through Foundation.
/// Inlinable: it is on that path, called from the modules that encode.
public struct JSONWriter {
    @usableFromInline var output: [UInt8] = []
    @usableFromInline var needsComma = [false]

    public var bytes: [UInt8] { output }

    @inlinable public init(capacity: Int = 256) { output.reserveCapacity(capacity) }

    @inlinable mutating func separate() {
        if needsComma[needsComma.count - 1] { output.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    @inlinable public mutating func beginObject() { separate(); output.append(UInt8(ascii: "{")); needsComma.append(false) }
    @inlinable public mutating func endObject() { needsComma.removeLast(); output.append(UInt8(ascii: "}")) }
    @inlinable public mutating func beginArray() { separate(); output.append(UInt8(ascii: "[")); needsComma.append(false) }
    @inlinable public mutating func endArray() { needsComma.removeLast(); output.append(UInt8(ascii: "]")) }

    @inlinable public mutating func key(_ name: String) {
        separate()
        appendString(name)
        output.append(UInt8(ascii: ":"))
        // The value that follows must not add a comma of its own.
        needsComma[needsComma.count - 1] = false
    }

    @inlinable public mutating func value(_ text: String?) {
        separate()
        guard let text else { appendLiteral("null"); return }
        appendString(text)
    }

    @inlinable public mutating func value(_ number: Double?) {
        separate()
        guard let number, number.isFinite else { appendLiteral("null"); return }
        if number == number.rounded(), abs(number) < 1e15 {
            appendLiteral(String(Int64(number)))
        } else {
            appendLiteral(number.description)
        }
    }

    @inlinable public mutating func value(_ number: Int64?) {
        separate()
        guard let number else { appendLiteral("null"); return }
        appendLiteral(String(number))
    }

    @inlinable public mutating func value(_ number: Int) { value(Int64(number)) }

    @inlinable public mutating func value(_ flag: Bool) {
        separate()
        appendLiteral(flag ? "true" : "false")
    }

    @inlinable public mutating func field(_ name: String, _ text: String?) { key(name); value(text) }
    @inlinable public mutating func field(_ name: String, _ number: Double?) { key(name); value(number) }
    @inlinable public mutating func field(_ name: String, _ number: Int64?) { key(name); value(number) }
    @inlinable public mutating func field(_ name: String, _ number: Int) { key(name); value(number) }
    @inlinable public mutating func field(_ name: String, _ flag: Bool) { key(name); value(flag) }

    @inlinable mutating func appendLiteral(_ text: String) { output.append(contentsOf: text.utf8) }

    @inlinable mutating func appendString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): output.append(contentsOf: [92, 92])
            case 0x0A: output.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// `{"error":{"code":..,"message":..}}`, the HTTP API's error shape.
    public static func error(code: String, message: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code)
        w.field("message", message)
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
