import Foundation
import TickhubCore

/// Why an answer of the gateway could not be read; the message names the part that was wrong.
public struct ClientPortalDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The gateway's loose types, read strictly for meaning: a conid arrives as 265598 or "265598", a figure as 1.5 or
/// "1.5", a flag as true or "true".
enum Lenient {
    /// The whole body as JSON; an error names what JSONDecoder disliked.
    static func parse(_ data: Data, what: String) throws(ClientPortalDecodingError) -> JSONValue {
        do {
            return try JSONValue.decode(data)
        } catch {
            throw ClientPortalDecodingError("\(what): not JSON (\(JSONValue.describe(error)))")
        }
    }

    /// A contract id: a positive whole number, as a number or as digits.
    static func conid(_ value: JSONValue?) -> Int? {
        switch value {
        case let .number(number)?:
            guard number.isFinite, number >= 1, number <= 9_007_199_254_740_992, number.rounded() == number else { return nil }
            return Int(number)
        case let .string(text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int(trimmed), id >= 1 else { return nil }
            return id
        default:
            return nil
        }
    }

    /// A finite number, from a number or a plain numeric string (the formatted kind goes through `FormattedNumber`).
    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case let .number(number)?: return number.isFinite ? number : nil
        case let .string(text)?: return FormattedNumber.parse(text).flatMap { $0.isPriorClose || $0.isHalted || $0.isApproximate ? nil : $0.value }
        default: return nil
        }
    }

    /// Milliseconds since the epoch, from a number or digits; nil for anything not a positive whole number.
    static func milliseconds(_ value: JSONValue?) -> Int64? {
        switch value {
        case let .number(number)?:
            guard number.isFinite, number >= 1, number < 9.2e18, number.rounded() == number else { return nil }
            return Int64(number)
        case let .string(text)?:
            guard let millis = Int64(text.trimmingCharacters(in: .whitespaces)), millis >= 1 else { return nil }
            return millis
        default:
            return nil
        }
    }

    static func bool(_ value: JSONValue?) -> Bool? {
        switch value {
        case let .bool(flag)?: return flag
        case let .string(text)?:
            switch text.lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: return nil
            }
        case let .number(number)?: return number == 1 ? true : number == 0 ? false : nil
        default: return nil
        }
    }

    /// Text: a string as it is, a number in its plain form (an account id or a user id written as a number).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case let .string(text)?: return text
        case let .number(number)?:
            guard number.isFinite else { return nil }
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: return nil
        }
    }
}
