import HubProtocol
import TickhubCore

/// `/api/market-data/*`: one quote, several, and publishing; and `/stream` asked for without the upgrade.
/// A symbol not yet quoted is followed upstream, and the request waits up to `firstQuoteWaitSeconds` for it.
enum MarketDataRoutes {
    static let quotePrefix = "/api/market-data/quote/"

    static func register(into routes: inout HubRouter) {
        routes.add("quote", [.get], .prefix(quotePrefix)) { hub, _, symbol in hub.quote(String(symbol)) }
        routes.add("quotes", [.get], .exact("/api/market-data/quotes")) { hub, request, _ in hub.quotes(request.query["symbols"] ?? "") }
        routes.add("publish", [.post], .exact("/api/market-data/publish")) { hub, request, _ in
            .respond(hub.publishers.publish(request, token: hub.configuration.publishToken,
                                            maxBytes: hub.configuration.maxPublishBytes, now: hub.clock.now()))
        }
        routes.add("stream", [.get], .exact("/stream")) { _, _, _ in
            .respond(.error(426, code: "upgrade_required", "/stream is a WebSocket: connect with ws://…/stream"))
        }
    }
}

extension FanoutHub {
    func quote(_ text: String) -> Outcome {
        // The lookup users repeat, a followed symbol with a price, skips the grammar: what the hub follows is
        // already in its canonical spelling, so the text names it exactly.
        if interest.isFollowed(text), let entry = market.priced(text) {
            interest.touch(text, now: clock.nowMicros())
            return .respond(market.quoteResponse(entry, at: clock.now()))
        }
        let instrument: Instrument
        do {
            instrument = try SymbolGrammar.parse(text)
        } catch {
            return .respond(.error(400, code: "invalid_symbol", error.description))
        }
        let symbol = instrument.symbol
        if let entry = market.priced(symbol) {
            // A quote remembered from the last run is stale: serve it as such, and ask for a fresh one.
            if interest.isFollowed(symbol) { interest.touch(symbol, now: clock.nowMicros()) } else { want([instrument]) }
            return .respond(market.quoteResponse(entry, at: clock.now()))
        }
        if market.isUnknown(symbol) {
            return .respond(.error(404, code: "unknown_symbol", "no provider knows the instrument \(symbol)"))
        }
        want([instrument])
        // Refused before anything was asked of a provider (the hub follows its maximum of symbols): say so now.
        if !interest.isFollowed(symbol), case let .unavailable(why)? = market.availability[symbol] {
            return .respond(.error(503, code: "unavailable", why))
        }
        return .wait(symbols: [symbol], single: true)
    }

    func quotes(_ list: String) -> Outcome {
        var instruments: [Instrument] = []
        for text in list.split(separator: ",") where !text.isEmpty {
            do {
                let instrument = try SymbolGrammar.parse(String(text))
                if !instruments.contains(instrument) { instruments.append(instrument) }
            } catch {
                return .respond(.error(400, code: "invalid_symbol", error.description))
            }
        }
        guard !instruments.isEmpty else { return .respond(.error(400, code: "bad_request", "give at least one symbol: ?symbols=AAPL,MSFT")) }
        guard instruments.count <= configuration.maxSymbolsPerRequest else {
            metrics.requestsRefusedForSymbols += 1
            return .respond(.error(400, code: "too_many_symbols",
                "\(instruments.count) symbols; one request may ask for \(configuration.maxSymbolsPerRequest) (server.maxSymbolsPerRequest)"))
        }
        let missing = instruments.filter { !market.isSettled($0.symbol) }
        want(instruments)
        if missing.isEmpty { return .respond(.json(200, quotesBody(instruments.map(\.symbol)))) }
        return .wait(symbols: instruments.map(\.symbol), single: false)
    }

    func quotesBody(_ symbols: [String]) -> [UInt8] {
        let now = clock.now()
        var w = JSONWriter(capacity: 400 * symbols.count)
        w.beginObject()
        w.key("quotes")
        w.beginArray()
        for symbol in symbols {
            if let entry = market.priced(symbol) { QuoteEncoding.write(entry, at: now, into: &w) }
        }
        w.endArray()
        w.key("errors")
        w.beginArray()
        for symbol in symbols where market.priced(symbol) == nil {
            let state = market.availability[symbol] ?? .unavailable("no quote within \(configuration.firstQuoteWaitSeconds) s")
            let (code, message) = MarketView.describe(symbol, state)
            w.beginObject()
            w.field("symbol", symbol)
            w.field("code", code)
            w.field("message", message)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// The answer to a request that waited for quotes, from what is known now.
    func answer(waitingFor symbols: [String], single: Bool) -> HTTPResponse {
        guard single, let symbol = symbols.first else { return .json(200, quotesBody(symbols)) }
        if let entry = market.priced(symbol) { return market.quoteResponse(entry, at: clock.now()) }
        if market.isUnknown(symbol) { return .error(404, code: "unknown_symbol", "no provider knows the instrument \(symbol)") }
        let reason: String
        if case let .unavailable(why)? = market.availability[symbol] {
            reason = why
        } else if let state = brokerStatus?.state, state != .ready {
            reason = "IBKR is \(state.name) and no other provider has a quote"
        } else {
            reason = "no quote within \(configuration.firstQuoteWaitSeconds) s"
        }
        return .error(503, code: "unavailable", "no provider can serve \(symbol) now: \(reason)")
    }

    /// Answers the requests waiting on the symbol once everything each waits for is settled.
    func answerWaitingExchanges(for symbol: String) {
        for (id, exchange) in exchanges.waiting(for: symbol) where exchange.awaiting.allSatisfy(market.isSettled) {
            exchanges.answer(id, answer(waitingFor: exchange.awaiting, single: exchange.single))
        }
    }

    /// Answers, with what is known, the requests whose wait is over.
    func expireExchanges(now: Int64) {
        for (id, exchange) in exchanges.waitingForQuotes() where now >= exchange.deadline {
            exchanges.answer(id, answer(waitingFor: exchange.awaiting, single: exchange.single))
        }
    }
}
