import Foundation
import TickhubCore

/// One JSON object of a relayed message, read field by field: each accessor names the message and the field it
/// refuses. Exact types, as for a request body: a number is not a string, an integer has no fraction.
struct RelayFields {
    let message: String
    let members: [String: JSONValue]

    init(_ bytes: [UInt8], message: String) throws(RelayMessageError) {
        let value: JSONValue
        do {
            value = try JSONValue.decode(Data(bytes))
        } catch {
            throw RelayMessageError("\(message) is not JSON: \(JSONValue.describe(error))")
        }
        try self.init(value, message: message)
    }

    init(_ value: JSONValue, message: String) throws(RelayMessageError) {
        guard let members = value.object else { throw RelayMessageError("\(message) is not an object") }
        self.message = message
        self.members = members
    }

    func refuse(_ key: String, _ want: String) -> RelayMessageError {
        RelayMessageError("\(message): \(key) must be \(want)")
    }

    /// Absent and null alike are nil.
    private func present(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(RelayMessageError) -> String {
        guard let text = try optionalString(key) else { throw refuse(key, "a string") }
        return text
    }

    func optionalString(_ key: String) throws(RelayMessageError) -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value else { throw refuse(key, "a string") }
        return text
    }

    func number(_ key: String) throws(RelayMessageError) -> Double {
        guard let value = try optionalNumber(key) else { throw refuse(key, "a number") }
        return value
    }

    func optionalNumber(_ key: String) throws(RelayMessageError) -> Double? {
        guard let value = present(key) else { return nil }
        guard case let .number(number) = value, number.isFinite else { throw refuse(key, "a number") }
        return number
    }

    func integer(_ key: String) throws(RelayMessageError) -> Int64 {
        guard let value = try optionalInteger(key) else { throw refuse(key, "a whole number") }
        return value
    }

    /// Whole numbers beyond 2^53 do not survive JSON's doubles: none of the relayed ones (times in ms, counts) get near.
    func optionalInteger(_ key: String) throws(RelayMessageError) -> Int64? {
        guard let number = try optionalNumber(key) else { return nil }
        guard number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { throw refuse(key, "a whole number") }
        return Int64(number)
    }

    func flag(_ key: String) throws(RelayMessageError) -> Bool {
        guard case let .bool(flag) = members[key] else { throw refuse(key, "true or false") }
        return flag
    }

    func array(_ key: String) throws(RelayMessageError) -> [JSONValue] {
        guard case let .array(elements) = members[key] else { throw refuse(key, "an array") }
        return elements
    }

    func strings(_ key: String) throws(RelayMessageError) -> [String] {
        var texts: [String] = []
        for element in try array(key) {
            guard case let .string(text) = element else { throw refuse(key, "an array of strings") }
            texts.append(text)
        }
        return texts
    }

    func object(_ key: String, message name: String) throws(RelayMessageError) -> RelayFields? {
        guard let value = present(key) else { return nil }
        return try RelayFields(value, message: "\(message) \(name)")
    }
}
