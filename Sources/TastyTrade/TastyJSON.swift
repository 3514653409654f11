import Foundation
import TickhubCore

/// TastyTrade's JSON as it comes: dasherized keys, decimals as strings ("288.7"), amounts whose sign is a separate
/// `<key>-effect` ("Debit" is negative), answers wrapped in `data`.
enum TastyJSON {
    /// The whole body as JSON; the error names what was read and what the parser disliked.
    static func parse(_ bytes: [UInt8], what: String) throws(TastyTradeFormatError) -> JSONValue {
        do {
            return try JSONValue.decode(Data(bytes))
        } catch {
            throw TastyTradeFormatError("\(what): not JSON (\(JSONValue.describe(error)))")
        }
    }

    /// The object under `data`, as every REST answer but the OAuth one wraps it.
    static func data(_ body: JSONValue, what: String) throws(TastyTradeFormatError) -> [String: JSONValue] {
        guard body.isObject else { throw TastyTradeFormatError("\(what): expected an object, got \(kind(body))") }
        guard let data = body["data"] else { throw TastyTradeFormatError("\(what): no \"data\" (keys: \(body.keyList))") }
        guard let object = data.object else { throw TastyTradeFormatError("\(what): \"data\" is \(kind(data)), not an object") }
        return object
    }

    /// `data.items`, a list answer's items.
    static func items(_ body: JSONValue, what: String) throws(TastyTradeFormatError) -> [JSONValue] {
        let data = try data(body, what: what)
        guard let items = data["items"] else { throw TastyTradeFormatError("\(what): no \"data.items\"") }
        guard let list = items.array else { throw TastyTradeFormatError("\(what): \"data.items\" is \(kind(items)), not an array") }
        return list
    }

    /// A decimal: a JSON number or a string of plain decimal notation. "NaN", "Infinity", hex and other spellings
    /// `Double(_:)` would take are no decimal TastyTrade writes, so they read as nil rather than as a number.
    static func decimal(_ value: JSONValue?) -> Double? {
        switch value {
        case let .number(number)?: return number.isFinite ? number : nil
        case let .string(text)?: return decimal(text)
        default: return nil
        }
    }

    static func decimal(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64, isPlainDecimal(bytes), let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `[-+]digits[.digits][e[-+]digits]`, at least one digit before the exponent.
    static func isPlainDecimal(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
        var mantissa = digits()
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// An amount with its sign applied: TastyTrade writes magnitudes and says "Debit" in `<key>-effect` for the
    /// negative ones ("Credit" and "None" leave the sign as written).
    static func signed(_ object: [String: JSONValue], _ key: String) -> Double? {
        guard let magnitude = decimal(object[key]) else { return nil }
        return object[key + "-effect"]?.string == "Debit" ? -abs(magnitude) : magnitude
    }

    /// A whole number written as a number or as digits (a multiplier, a request id).
    static func integer(_ value: JSONValue?) -> Int64? {
        guard let number = decimal(value), number.rounded() == number, abs(number) < 9.0e15 else { return nil }
        return Int64(number)
    }

    static func bool(_ value: JSONValue?) -> Bool? {
        switch value {
        case let .bool(flag)?: return flag
        case let .string(text)?: return text == "true" ? true : text == "false" ? false : nil
        default: return nil
        }
    }

    /// Text that is present and not empty.
    static func text(_ value: JSONValue?) -> String? {
        guard case let .string(text)? = value, !text.isEmpty else { return nil }
        return text
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    // MARK: Writing (the simulator's answers, the broker's requests)

    static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    static func quoted(_ text: String?) -> String { text.map { quoted($0) } ?? "null" }

    static func number(_ value: Double) -> String { JSONText.number(value) }

    /// A decimal as TastyTrade writes it: a string ("288.7"), null when there is none.
    static func decimalString(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return quoted(number(value))
    }

    /// An amount as TastyTrade writes it: the magnitude, then `<key>-effect` saying its sign.
    static func signedPair(_ key: String, _ value: Double?) -> String {
        guard let value, value.isFinite else { return "\(quoted(key)):null,\(quoted(key + "-effect")):\"None\"" }
        let effect = value < 0 ? "Debit" : value > 0 ? "Credit" : "None"
        return "\(quoted(key)):\(decimalString(abs(value))),\(quoted(key + "-effect")):\(quoted(effect))"
    }

    static func bool(_ value: Bool) -> String { JSONText.bool(value) }

    /// Rendered JSON of a decoded value, for the objects passed through as they came (a notification's `data`).
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case let .bool(flag): return bool(flag)
        case let .number(figure): return number(figure)
        case let .string(text): return quoted(text)
        case let .array(items): return "[" + items.map(render).joined(separator: ",") + "]"
        case let .object(members):
            return "{" + members.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + render($0.value) }.joined(separator: ",") + "}"
        }
    }
}
