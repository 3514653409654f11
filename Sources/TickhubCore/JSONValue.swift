import Foundation

/// A JSON value as JSONDecoder reads it, keeping numbers, strings and booleans apart (Foundation's bridging blurs
/// `1` and `true`). The cases are exact, for bodies whose types are checked by name; the accessors are lenient, for
/// providers' answers: there a number may arrive as a number or as a numeric string ("123.4"), and a non-finite or
/// unparsable value is nil.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public static func decode(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// A short description of a decoding error.
    public static func describe(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return String(describing: error)
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members[key] }
        return nil
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    public var array: [JSONValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }

    public var object: [String: JSONValue]? {
        if case let .object(members) = self { return members }
        return nil
    }

    public var string: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// A finite number, from a JSON number or a numeric string (surrounding spaces and a `+` sign allowed).
    public var number: Double? {
        switch self {
        case let .number(value): return value.isFinite ? value : nil
        case let .string(text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed), value.isFinite else { return nil }
            return value
        default: return nil
        }
    }

    /// The top-level keys, for messages.
    public var keyList: String {
        guard case let .object(members) = self else { return "not an object" }
        return members.keys.sorted().joined(separator: ", ")
    }
}
