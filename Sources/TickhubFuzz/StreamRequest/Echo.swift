import Foundation
import HubProtocol

/// A request written back as the JSON message a client would send for it: a symbol the message held as
/// something other than a string comes back as a number, which is refused in its place again.
enum Echo {
    static func json(_ request: StreamRequest) -> [UInt8] {
        var object: [String: Any] = [:]
        func symbols(_ list: [String?]?) {
            if let list { object["symbols"] = list.map { $0.map { $0 as Any } ?? (0 as Any) } }
        }
        switch request {
        case let .subscribe(list, channels):
            object["op"] = "subscribe"
            symbols(list)
            if let channels { object["channels"] = channels }
        case let .unsubscribe(list, channels):
            object["op"] = "unsubscribe"
            symbols(list)
            if let channels { object["channels"] = channels }
        case let .auth(token):
            object["op"] = "auth"
            if let token { object["token"] = token }
        case let .ping(id):
            object["op"] = "ping"
            switch id {
            case let .number(n): object["id"] = n
            case let .text(s): object["id"] = s
            case .none: break
            }
        }
        return Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}
