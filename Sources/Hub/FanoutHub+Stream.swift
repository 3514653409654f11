import HubProtocol
import Foundation
import TickhubCore

/// `/stream` client messages: subscribe, unsubscribe, channels, ping. See docs/protocol.md.
extension FanoutHub {
    package func errorMessage(code: String, message: String, symbol: String? = nil) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", code)
        w.field("message", message)
        w.field("symbol", symbol)
        w.endObject()
        return w.bytes
    }

    package func reject(_ client: ClientSession, code: String, _ message: String, symbol: String? = nil) {
        metrics.badClientMessages += 1
        sendError(errorMessage(code: code, message: message, symbol: symbol), to: client, earned: true)
    }

    /// Errors are not conflated like quotes, so they are bounded here: at most `maxQueuedErrors` wait for one
    /// client, the rest are counted and reported in one `errors_suppressed` message with the next write. Errors
    /// the client earned count against `maxErrorsPerMinute`; past it the client is closed with 1008. A client that
    /// sends garbage and never reads thus costs a few kilobytes, not a queue as long as its messages.
    package func sendError(_ bytes: [UInt8], to client: ClientSession, earned: Bool) {
        if earned {
            let now = Self.nowMicros()
            if now - client.errorWindowStart > 60_000_000 {
                client.errorWindowStart = now
                client.errorsInWindow = 0
            }
            client.errorsInWindow += 1
            if client.errorsInWindow > configuration.maxErrorsPerMinute, client.pendingClose == nil {
                metrics.clientsClosedForErrors += 1
                client.pendingClose = (1008, "more than \(configuration.maxErrorsPerMinute) errors in a minute")
            }
        }
        guard client.pendingClose == nil else { return }
        guard client.queuedErrors < configuration.maxQueuedErrors else {
            client.suppressedErrors += 1
            metrics.errorsSuppressed += 1
            return
        }
        client.queuedErrors += 1
        send(bytes, to: client)
    }

    /// What stands for the errors `sendError` folded away.
    package func suppressedErrorsMessage(_ count: Int) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", "errors_suppressed")
        w.field("message", "\(count) more errors were not sent; fix the messages that cause them")
        w.field("count", count)
        w.endObject()
        return w.bytes
    }

    /// Handles one complete text message. Bad input gets an error message; the connection stays.
    package func receive(_ bytes: [UInt8], from client: ClientSession) {
        let parsed = StreamRequest.parse(bytes)
        if client.awaitingToken {
            authenticate(parsed, client)
            return
        }
        switch parsed {
        case let .failure(refusal):
            reject(client, code: refusal.code, refusal.message)
        case let .success(.subscribe(symbols, channels)):
            if let symbols { subscribe(symbols, client) }
            if let channels { setChannels(channels, subscribe: true, client) }
        case let .success(.unsubscribe(symbols, channels)):
            if let symbols { unsubscribe(symbols, client) }
            if let channels { setChannels(channels, subscribe: false, client) }
        case .success(.auth):
            // Already admitted (or no token needed): say so, so a client can send it unconditionally.
            send(Self.authenticatedMessage, to: client)
        case let .success(.ping(id)):
            var w = JSONWriter()
            w.beginObject()
            w.field("type", "pong")
            w.key("id")
            switch id {
            case let .number(n): w.value(n)
            case let .text(s): w.value(s)
            case .none: w.value(nil as String?)
            }
            w.field("t", Self.nowMicros())
            w.endObject()
            send(w.bytes, to: client)
        }
    }

    package static let authenticatedMessage = Array(#"{"type":"authenticated"}"#.utf8)

    /// The first message of a client that upgraded without the token must present it; anything else, or a
    /// wrong token, closes the connection with 1008 (policy violation).
    package func authenticate(_ parsed: Result<StreamRequest, StreamRequest.Refusal>, _ client: ClientSession) {
        guard let required = configuration.token else {
            client.awaitingToken = false
            return
        }
        guard case let .success(.auth(token)) = parsed else {
            metrics.unauthorizedClosed += 1
            client.pendingClose = (1008, #"this hub needs a token: send {"op":"auth","token":"..."} first"#)
            return
        }
        guard Auth.matches(token, required) else {
            metrics.unauthorizedClosed += 1
            client.pendingClose = (1008, "wrong token")
            return
        }
        client.awaitingToken = false
        send(Self.authenticatedMessage, to: client)
    }

    package func subscribe(_ list: [String?], _ client: ClientSession) {
        var added: [Instrument] = []
        for item in list {
            guard let text = item else {
                reject(client, code: "invalid_symbol", "symbols must be strings")
                continue
            }
            let instrument: Instrument
            do {
                instrument = try SymbolGrammar.parse(text)
            } catch {
                reject(client, code: "invalid_symbol", error.description, symbol: quoted(text, limit: 40))
                continue
            }
            let symbol = instrument.symbol
            if client.symbols[symbol] != nil { continue }
            guard client.symbols.count < configuration.maxSymbolsPerClient else {
                reject(client, code: "too_many_symbols",
                       "at most \(configuration.maxSymbolsPerClient) symbols per connection", symbol: symbol)
                break
            }
            client.symbols[symbol] = client.subscriptionsMade
            client.subscriptionsMade += 1
            lineShareDirty = true
            subscribers[symbol, default: [:]][client.id] = client
            if let entry = book[symbol] {
                send(QuoteEncoding.encode(entry, snapshot: true), to: client)
            } else if let state = availability[symbol], state != .available {
                let (code, message) = Self.describe(symbol, state)
                sendError(errorMessage(code: code, message: message, symbol: symbol), to: client, earned: false)
            }
            added.append(instrument)
        }
        want(added)
    }

    package func unsubscribe(_ list: [String?], _ client: ClientSession) {
        for case let text? in list {
            guard let symbol = try? SymbolGrammar.parse(text).symbol, client.symbols.removeValue(forKey: symbol) != nil else { continue }
            lineShareDirty = true
            leave(symbol, client)
            client.pending[symbol] = nil
        }
    }

    package func setChannels(_ names: [String], subscribe: Bool, _ client: ClientSession) {
        for name in names {
            guard let channel = ClientSession.Channel(rawValue: name) else {
                reject(client, code: "unknown_channel", "unknown channel \"\(quoted(name, limit: 40))\"; channels: status, pnl")
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
