import Foundation

/// One message a `/stream` client sends (docs/protocol.md), read and checked before the hub acts on it.
public enum StreamRequest: Equatable, Sendable {
    /// `symbols` items that are not strings stay as nil, in place: each is refused alone, the rest are taken.
    case subscribe(symbols: [String?]?, channels: [String]?)
    case unsubscribe(symbols: [String?]?, channels: [String]?)
    case auth(token: String?)
    case ping(id: PingID)

    /// The `id` a ping carries back in its pong: a number, a string, or none.
    public enum PingID: Equatable, Sendable {
        case number(Double)
        case text(String)
        case none
    }

    /// Why a message was refused, with the error code the client gets.
    public struct Refusal: Error, Equatable, Sendable {
        public var code: String
        public var message: String
    }

    /// The request in `bytes`, or why there is none.
    public static func parse(_ bytes: [UInt8]) -> Result<StreamRequest, Refusal> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            return .failure(Refusal(code: "bad_json", message: #"messages must be JSON objects such as {"op":"subscribe","symbols":["AAPL"]}"#))
        }
        guard let op = object["op"] as? String else {
            return .failure(Refusal(code: "missing_op", message: #"every message needs an "op": subscribe, unsubscribe or ping"#))
        }
        switch op {
        case "subscribe", "unsubscribe":
            let symbols = object["symbols"], channels = object["channels"]
            guard symbols != nil || channels != nil else {
                return .failure(Refusal(code: "bad_request", message: #"\#(op) needs "symbols" (an array of symbols) or "channels""#))
            }
            var symbolList: [String?]?
            if let symbols {
                guard let list = symbols as? [Any] else {
                    return .failure(Refusal(code: "bad_request", message: #""symbols" must be an array of strings"#))
                }
                symbolList = list.map { $0 as? String }
            }
            var channelList: [String]?
            if let channels {
                guard let list = channels as? [String] else {
                    return .failure(Refusal(code: "bad_request", message: #""channels" must be an array of strings"#))
                }
                channelList = list
            }
            return .success(op == "subscribe" ? .subscribe(symbols: symbolList, channels: channelList)
                : .unsubscribe(symbols: symbolList, channels: channelList))
        case "auth":
            return .success(.auth(token: object["token"] as? String))
        case "ping":
            switch object["id"] {
            case let n as NSNumber: return .success(.ping(id: .number(n.doubleValue)))
            case let s as String: return .success(.ping(id: .text(s)))
            default: return .success(.ping(id: .none))
            }
        default:
            return .failure(Refusal(code: "unknown_op", message: "unknown op \"\(quoted(op, limit: 40))\"; use subscribe, unsubscribe or ping"))
        }
    }
}
