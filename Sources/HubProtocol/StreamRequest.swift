import Foundation
import TickhubCore

/// One message a `/stream` client sends (docs/protocol.md), read and checked before the hub acts on it.
public enum StreamRequest: Equatable, Sendable {
    /// `symbols` items that are not strings stay as nil, in place: each is refused alone, the rest are taken. So do
    /// `bars` items, as sent, checked one by one (`BarsItem.series()`).
    case subscribe(symbols: [String?]?, channels: [String]?, bars: [BarsItem]? = nil)
    case unsubscribe(symbols: [String?]?, channels: [String]?, bars: [BarsItem]? = nil)
    case auth(token: String?)
    case ping(id: PingID)

    /// The `id` a ping carries back in its pong: a number, a string, or none.
    public enum PingID: Equatable, Sendable {
        case number(Double)
        case text(String)
        case none
    }

    /// Why a message (or one item of it) was refused, with the error code the client gets and, for an item, the
    /// symbol it named.
    public struct Refusal: Error, Equatable, Sendable {
        public var code: String
        public var message: String
        public var symbol: String? = nil
    }

    /// One item of `bars`, `{"symbol":"AAPL","interval":"1m"}`, as sent: a field that is absent or not a string is
    /// nil, and an item that is not an object has neither. The hub checks each alone (`series()`), so one bad item
    /// costs an error, not the message.
    public struct BarsItem: Equatable, Sendable {
        public var symbol: String?
        public var interval: String?

        public init(symbol: String?, interval: String?) {
            self.symbol = symbol
            self.interval = interval
        }

        init(json: Any) {
            let object = json as? [String: Any]
            self.init(symbol: object?["symbol"] as? String, interval: object?["interval"] as? String)
        }

        /// The series the item names, or why it names none: `invalid_symbol` as for `symbols` (the text as sent in
        /// `symbol`), `bad_interval` with the intervals there are.
        public func series() -> Result<(instrument: Instrument, interval: BarInterval), Refusal> {
            guard let symbol else {
                return .failure(Refusal(code: "invalid_symbol", message: #"each bars item needs a "symbol" string, as in {"symbol":"AAPL","interval":"1m"}"#))
            }
            let instrument: Instrument
            do {
                instrument = try SymbolGrammar.parse(symbol)
            } catch {
                return .failure(Refusal(code: "invalid_symbol", message: quoted(error.description, limit: 200), symbol: quoted(symbol, limit: 40)))
            }
            guard let interval else {
                return .failure(Refusal(code: "bad_interval", message: #"each bars item needs an "interval": \#(BarInterval.names)"#,
                                        symbol: instrument.symbol))
            }
            guard let known = BarInterval(wire: interval) else {
                return .failure(Refusal(code: "bad_interval",
                                        message: "unknown interval \"\(quoted(interval, limit: 16))\"; intervals: \(BarInterval.names)",
                                        symbol: instrument.symbol))
            }
            return .success((instrument, known))
        }
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
            let symbols = object["symbols"], channels = object["channels"], bars = object["bars"]
            guard symbols != nil || channels != nil || bars != nil else {
                return .failure(Refusal(code: "bad_request", message: #"\#(op) needs "symbols" (an array of symbols), "bars" or "channels""#))
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
            var barsList: [BarsItem]?
            if let bars {
                guard let list = bars as? [Any] else {
                    return .failure(Refusal(code: "bad_request", message: #""bars" must be an array such as [{"symbol":"AAPL","interval":"1m"}]"#))
                }
                barsList = list.map(BarsItem.init(json:))
            }
            return .success(op == "subscribe" ? .subscribe(symbols: symbolList, channels: channelList, bars: barsList)
                : .unsubscribe(symbols: symbolList, channels: channelList, bars: barsList))
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
