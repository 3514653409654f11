/// Builds JSON bytes directly: the fan-out encodes every quote once, so this must not go through Foundation.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = [false]

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        // The value that follows must not add a comma of its own.
        needsComma[needsComma.count - 1] = false
    }

    mutating func value(_ text: String?) {
        separate()
        guard let text else { appendLiteral("null"); return }
        appendString(text)
    }

    mutating func value(_ number: Double?) {
        separate()
        guard let number, number.isFinite else { appendLiteral("null"); return }
        if number == number.rounded(), abs(number) < 1e15 {
            appendLiteral(String(Int64(number)))
        } else {
            appendLiteral(number.description)
        }
    }

    mutating func value(_ number: Int64?) {
        separate()
        guard let number else { appendLiteral("null"); return }
        appendLiteral(String(number))
    }

    mutating func value(_ number: Int) { value(Int64(number)) }

    mutating func value(_ flag: Bool) {
        separate()
        appendLiteral(flag ? "true" : "false")
    }

    /// Splices already-encoded JSON in as one value.
    mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    mutating func field(_ name: String, _ text: String?) { key(name); value(text) }
    mutating func field(_ name: String, _ number: Double?) { key(name); value(number) }
    mutating func field(_ name: String, _ number: Int64?) { key(name); value(number) }
    mutating func field(_ name: String, _ number: Int) { key(name); value(number) }
    mutating func field(_ name: String, _ flag: Bool) { key(name); value(flag) }

    private mutating func appendLiteral(_ text: String) { bytes.append(contentsOf: text.utf8) }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `{"error":{"code":..,"message":..}}`, the HTTP API's error shape.
    static func error(code: String, message: String) -> [UInt8] {
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
