import Foundation
import HubProtocol

/// A request written back as the JSON message a client would send for it: a symbol the message held as
/// something other than a string comes back as a number, which is refused in its place again; a `bars` item comes
/// back as an object with the fields it had as strings, or as a number when it had neither.
enum Echo {
    static func json(_ request: StreamRequest) -> [UInt8] {
        var object: [String: Any] = [:]
        func symbols(_ list: [String?]?) {
            if let list { object["symbols"] = list.map { $0.map { $0 as Any } ?? (0 as Any) } }
        }
        func bars(_ list: [StreamRequest.BarsItem]?) {
            guard let list else { return }
            object["bars"] = list.map { item -> Any in
                guard item.symbol != nil || item.interval != nil else { return 0 }
                var fields: [String: Any] = [:]
                if let symbol = item.symbol { fields["symbol"] = symbol }
                if let interval = item.interval { fields["interval"] = interval }
                return fields
            }
        }
        switch request {
        case let .subscribe(list, channels, items):
            object["op"] = "subscribe"
            symbols(list)
            bars(items)
            if let channels { object["channels"] = channels }
        case let .unsubscribe(list, channels, items):
            object["op"] = "unsubscribe"
            symbols(list)
            bars(items)
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
