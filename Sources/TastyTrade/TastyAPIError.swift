import Foundation
import TickhubCore

/// An error TastyTrade answered: `{"error":{"code":"invalid_credentials","message":"…","errors":[…]}}`, or the OAuth
/// form `{"error":"invalid_grant","error_description":"…"}`. The code is text even where TastyTrade wrote a number
/// (406 `{"error":{"code":406,…}}`).
public struct TastyAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status, when the error came over HTTP.
    public var status: Int?
    public var code: String
    public var message: String
    /// The details of `error.errors[]`, "code: message" each.
    public var details: [String]

    public init(status: Int?, code: String, message: String, details: [String] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    /// The error in a body, or nil when the body holds none (an nginx HTML page, an empty body): the caller then
    /// reports the status alone.
    public init?(json: [UInt8], status: Int) {
        guard let body = try? TastyJSON.parse(json, what: "error"), let error = body["error"] else { return nil }
        switch error {
        case let .object(members):
            let code = TastyJSON.text(members["code"]) ?? TastyJSON.integer(members["code"]).map(String.init) ?? ""
            let message = TastyJSON.text(members["message"]) ?? ""
            let details = (members["errors"]?.array ?? []).compactMap { item -> String? in
                // Field errors come as code/message or as domain/reason.
                let code = TastyJSON.text(item["code"]) ?? TastyJSON.text(item["domain"]) ?? ""
                let message = TastyJSON.text(item["message"]) ?? TastyJSON.text(item["reason"]) ?? ""
                if code.isEmpty && message.isEmpty { return nil }
                return code.isEmpty ? message : message.isEmpty ? code : "\(code): \(message)"
            }
            guard !code.isEmpty || !message.isEmpty || !details.isEmpty else { return nil }
            self.init(status: status, code: code, message: message, details: details)
        case let .string(code) where !code.isEmpty:
            self.init(status: status, code: code, message: TastyJSON.text(body["error_description"]) ?? "")
        default:
            return nil
        }
    }

    /// `{"error":{"code":…,"message":…}}`, the simulator's refusal.
    public var json: [UInt8] {
        var error = "\"code\":\(TastyJSON.quoted(code)),\"message\":\(TastyJSON.quoted(message))"
        if !details.isEmpty {
            // Each detail as a message: read back, it is the same text.
            error += ",\"errors\":[" + details.map { "{\"message\":\(TastyJSON.quoted($0))}" }.joined(separator: ",") + "]"
        }
        return Array("{\"error\":{\(error)}}".utf8)
    }

    public var description: String {
        var text = status.map { "HTTP \($0)" } ?? "TastyTrade"
        if !code.isEmpty { text += " \(code)" }
        if !message.isEmpty { text += ": \(message)" }
        if !details.isEmpty { text += " (\(details.joined(separator: "; ")))" }
        return text
    }
}
