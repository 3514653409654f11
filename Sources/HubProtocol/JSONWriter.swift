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

    /// The number rounded to `decimals` places (half away from zero), written as the shortest decimal of at most
    /// that many places: `193.99999999999977` with 2 is `194`, `5169.750000000004` is `5169.75`. The digits come
    /// from the integer count of units, so nothing of the binary value below the last place can show.
    @inlinable public mutating func value(_ number: Double?, decimals: Int) {
        guard let number, number.isFinite else { separate(); appendLiteral("null"); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let units = (number * scale).rounded()
        // Beyond 2^53 units a double has no digit left to round; it is written as it is.
        guard decimals > 0, abs(units) < 9_007_199_254_740_992 else { value(decimals > 0 ? number : units); return }
        separate()
        let count = Int64(units)
        let magnitude = count.magnitude
        let divisor = UInt64(scale)
        var fraction = magnitude % divisor
        var places = decimals
        while places > 0, fraction % 10 == 0 { fraction /= 10; places -= 1 }
        if count < 0 { output.append(UInt8(ascii: "-")) }
        appendLiteral(String(magnitude / divisor))
        guard places > 0 else { return }
        output.append(UInt8(ascii: "."))
        let digits = String(fraction)
        for _ in digits.count..<places { output.append(UInt8(ascii: "0")) }
        appendLiteral(digits)
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
    @inlinable public mutating func field(_ name: String, _ number: Double?, decimals: Int) { key(name); value(number, decimals: decimals) }
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
