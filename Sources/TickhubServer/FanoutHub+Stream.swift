import Foundation
import TickhubCore

/// `/stream` client messages: subscribe, unsubscribe, channels, ping. See docs/protocol.md.
extension FanoutHub {
    func errorMessage(code: String, message: String, symbol: String? = nil) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", code)
        w.field("message", message)
        w.field("symbol", symbol)
        w.endObject()
        return w.bytes
    }

    func reject(_ client: ClientSession, code: String, _ message: String, symbol: String? = nil) {
        metrics.badClientMessages += 1
        send(errorMessage(code: code, message: message, symbol: symbol), to: client)
    }

    /// Handles one complete text message. Bad input gets an error message; the connection stays.
    func receive(_ bytes: [UInt8], from client: ClientSession) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            reject(client, code: "bad_json", "messages must be JSON objects such as {\"op\":\"subscribe\",\"symbols\":[\"AAPL\"]}")
            return
        }
        guard let op = object["op"] as? String else {
            reject(client, code: "missing_op", "every message needs an \"op\": subscribe, unsubscribe or ping")
            return
        }
        switch op {
        case "subscribe", "unsubscribe":
            let symbols = object["symbols"]
            let channels = object["channels"]
            guard symbols != nil || channels != nil else {
                reject(client, code: "bad_request", "\(op) needs \"symbols\" (an array of symbols) or \"channels\"")
                return
            }
            if let symbols {
                guard let list = symbols as? [Any] else {
                    reject(client, code: "bad_request", "\"symbols\" must be an array of strings")
                    return
                }
                op == "subscribe" ? subscribe(list, client) : unsubscribe(list, client)
            }
            if let channels {
                guard let list = channels as? [String] else {
                    reject(client, code: "bad_request", "\"channels\" must be an array of strings")
                    return
                }
                setChannels(list, subscribe: op == "subscribe", client)
            }
        case "ping":
            var w = JSONWriter()
            w.beginObject()
            w.field("type", "pong")
            w.key("id")
            switch object["id"] {
            case let n as NSNumber: w.value(n.doubleValue)
            case let s as String: w.value(s)
            default: w.value(nil as String?)
            }
            w.field("t", Self.nowMicros())
            w.endObject()
            send(w.bytes, to: client)
        default:
            reject(client, code: "unknown_op", "unknown op \"\(op.prefix(40))\"; use subscribe, unsubscribe or ping")
        }
    }

    func subscribe(_ list: [Any], _ client: ClientSession) {
        var added: [Instrument] = []
        for item in list {
            guard let text = item as? String else {
                reject(client, code: "invalid_symbol", "symbols must be strings")
                continue
            }
            let instrument: Instrument
            do {
                instrument = try SymbolGrammar.parse(text)
            } catch {
                reject(client, code: "invalid_symbol", error.description, symbol: String(text.prefix(40)))
                continue
            }
            let symbol = instrument.symbol
            if client.symbols.contains(symbol) { continue }
            guard client.symbols.count < configuration.maxSymbolsPerClient else {
                reject(client, code: "too_many_symbols",
                       "at most \(configuration.maxSymbolsPerClient) symbols per connection", symbol: symbol)
                break
            }
            client.symbols.insert(symbol)
            subscribers[symbol, default: [:]][client.id] = client
            if let entry = book[symbol] {
                send(QuoteEncoding.encode(entry, snapshot: true), to: client)
            } else if let state = availability[symbol], state != .available {
                let (code, message) = Self.describe(symbol, state)
                send(errorMessage(code: code, message: message, symbol: symbol), to: client)
            }
            added.append(instrument)
        }
        want(added)
    }

    func unsubscribe(_ list: [Any], _ client: ClientSession) {
        for case let text as String in list {
            guard let symbol = try? SymbolGrammar.parse(text).symbol, client.symbols.remove(symbol) != nil else { continue }
            leave(symbol, client)
            client.pending[symbol] = nil
        }
    }

    func setChannels(_ names: [String], subscribe: Bool, _ client: ClientSession) {
        for name in names {
            guard let channel = ClientSession.Channel(rawValue: name) else {
                reject(client, code: "unknown_channel", "unknown channel \"\(name.prefix(40))\"; channels: status, pnl")
                continue
            }
            if subscribe {
                guard client.channels.insert(channel).inserted else { continue }
                switch channel {
                case .status: send(statusMessage(), to: client)
                case .pnl: send(pnlBody(type: "pnl"), to: client)
                }
            } else {
                client.channels.remove(channel)
            }
        }
    }
}
