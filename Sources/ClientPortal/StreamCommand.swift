import Foundation
import TickhubCore

/// What a client sends on the gateway's WebSocket (`/v1/api/ws`): a topic, "+", and a JSON argument.
public enum StreamCommand: Equatable, Sendable {
    /// `smd+<conid>+{"fields":["31","84",…]}`: stream the fields' changes; sent again, it adds fields.
    case subscribe(conid: Int, fields: [MarketDataField])
    /// `umd+<conid>+{}`
    case unsubscribe(conid: Int)
    /// `tic`: keeps the socket's session alive (the REST `/tickle` is still needed for the gateway's own).
    case keepAlive
    /// `{"session":"<token>"}`: the `/tickle` answer's session, for a socket opened without the gateway's cookie.
    case session(String)

    public var text: String {
        switch self {
        case let .subscribe(conid, fields):
            let codes = fields.map { "\"\($0.code)\"" }.joined(separator: ",")
            return "smd+\(conid)+{\"fields\":[\(codes)]}"
        case let .unsubscribe(conid):
            return "umd+\(conid)+{}"
        case .keepAlive:
            return "tic"
        case let .session(token):
            return "{\"session\":\(JSONText.quoted(token))}"
        }
    }

    /// Reads a client's message (the simulator's side). Unknown field codes in a subscription are left out, as the
    /// gateway ignores them; anything else unreadable is nil.
    public static func parse(_ text: String) -> StreamCommand? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed == "tic" { return .keepAlive }
        if trimmed.hasPrefix("{") {
            guard let body = try? JSONValue.decode(Data(trimmed.utf8)), let token = body["session"]?.string, !token.isEmpty
            else { return nil }
            return .session(token)
        }
        let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let conid = StreamTopic.conid(String(parts[1])) else { return nil }
        guard let argument = try? JSONValue.decode(Data(parts[2].utf8)), argument.isObject else { return nil }
        switch parts[0] {
        case "smd":
            guard let codes = argument["fields"]?.array else { return nil }
            let fields = codes.compactMap { Lenient.text($0).flatMap(MarketDataField.init(code:)) }
            return .subscribe(conid: conid, fields: fields)
        case "umd":
            return .unsubscribe(conid: conid)
        default:
            return nil
        }
    }
}

/// The topic strings of the stream's messages.
public enum StreamTopic {
    /// The conid of a market-data topic: "smd+265598" → 265598 (a "@EXCHANGE" suffix allowed); nil for any other.
    public static func conid(inMarketDataTopic topic: String) -> Int? {
        guard topic.hasPrefix("smd+") else { return nil }
        return conid(String(topic.dropFirst(4)))
    }

    /// The topic a market-data message of `conid` carries.
    public static func marketData(_ conid: Int) -> String { "smd+\(conid)" }

    static func conid(_ text: String) -> Int? {
        Lenient.conid(.string(String(text.prefix { $0 != "@" })))
    }
}
