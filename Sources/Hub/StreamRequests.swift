import HubProtocol
import TickhubCore

/// `/stream` client messages: subscribe, unsubscribe, channels, bars (`FanoutHub+Charts`), ping, auth. See
/// docs/protocol.md.
extension FanoutHub {
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
        case let .success(.subscribe(symbols, channels, bars)):
            if let symbols { subscribe(symbols, client) }
            if let bars { subscribeBars(bars, client) }
            if let channels { setChannels(channels, subscribe: true, client) }
        case let .success(.unsubscribe(symbols, channels, bars)):
            if let symbols { unsubscribe(symbols, client) }
            if let bars { unsubscribeBars(bars, client) }
            if let channels { setChannels(channels, subscribe: false, client) }
        case .success(.auth):
            // Already admitted (or no token needed): say so, so a client can send it unconditionally.
            clients.send(StreamMessages.authenticated, to: client)
        case let .success(.ping(id)):
            clients.send(StreamMessages.pong(id, now: clock.nowMicros()), to: client)
        }
    }

    /// An error the client earned by what it sent.
    package func reject(_ client: ClientSession, code: String, _ message: String, symbol: String? = nil) {
        metrics.badClientMessages += 1
        clients.sendError(StreamMessages.error(code: code, message: message, symbol: symbol), to: client, earned: true)
    }

    /// The first message of a client that upgraded without the token must present it; anything else, or a
    /// wrong token, closes the connection with 1008 (policy violation).
    func authenticate(_ parsed: Result<StreamRequest, StreamRequest.Refusal>, _ client: ClientSession) {
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
        clients.send(StreamMessages.authenticated, to: client)
        tellOfFeedLoss(client)
    }

    func subscribe(_ list: [String?], _ client: ClientSession) {
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
            interest.lineShareDirty = true
            clients.join(symbol, client)
            if let entry = market.book[symbol] {
                clients.send(QuoteEncoding.encode(entry, at: clock.now(), snapshot: true), to: client)
            } else if let state = market.availability[symbol], state != .available {
                let (code, message) = MarketView.describe(symbol, state)
                clients.sendError(StreamMessages.error(code: code, message: message, symbol: symbol), to: client, earned: false)
            }
            added.append(instrument)
        }
        want(added)
    }

    func unsubscribe(_ list: [String?], _ client: ClientSession) {
        for case let text? in list {
            guard let symbol = try? SymbolGrammar.parse(text).symbol, client.symbols.removeValue(forKey: symbol) != nil else { continue }
            interest.lineShareDirty = true
            if clients.leave(symbol, client), !clients.isCharted(symbol) { interest.touch(symbol, now: clock.nowMicros()) }
            client.pending[symbol] = nil
        }
    }

    func setChannels(_ names: [String], subscribe: Bool, _ client: ClientSession) {
        for name in names {
            guard let channel = ClientSession.Channel(rawValue: name) else {
                reject(client, code: "unknown_channel", "unknown channel \"\(quoted(name, limit: 40))\"; channels: \(ClientSession.Channel.names)")
                continue
            }
            if subscribe {
                guard client.channels.insert(channel).inserted else { continue }
                switch channel {
                case .status: clients.send(StreamMessages.status(brokerStatus), to: client)
                case .pnl: clients.send(pnl.body(market, now: clock.nowMicros(), type: "pnl"), to: client)
                // Alerts are events: nothing stands to be sent at once.
                case .alerts: break
                }
            } else {
                client.channels.remove(channel)
            }
        }
    }
}
