import HubProtocol
import Foundation
import TickhubCore

/// An HTTP request the fan-out thread is answering, possibly later (a first quote, the backend).
package struct HTTPExchange {
    package let id: Int
    package let connection: any Connection
    package var response: HTTPResponse?
    /// Symbols whose first quote the request waits for, and until when (µs since the epoch).
    package var awaiting: [String] = []
    package var single = true
    package var deadline: Int64 = 0
}

extension FanoutHub {
    package enum Outcome {
        case respond(HTTPResponse)
        case wait(symbols: [String], single: Bool)
        case async(@Sendable () async -> HTTPResponse)
    }

    /// Starts answering a request; the response goes out now, or when `server.reply` brings it.
    package func handle(_ request: HTTPRequest, exchange id: Int, connection: any Connection) -> HTTPResponse? {
        metrics.httpRequests += 1
        switch route(request) {
        case let .respond(response):
            return response
        case let .wait(symbols, single):
            var exchange = HTTPExchange(id: id, connection: connection)
            exchange.awaiting = symbols
            exchange.single = single
            exchange.deadline = Self.nowMicros() + Int64(configuration.firstQuoteWaitSeconds * 1_000_000)
            exchanges[id] = exchange
            return nil
        case let .async(work):
            exchanges[id] = HTTPExchange(id: id, connection: connection)
            let server = server
            Task { server.reply(id, await work()) }
            return nil
        }
    }

    package func route(_ request: HTTPRequest) -> Outcome {
        let path = request.path
        if let refusal = BrowserGuard(configuration: configuration).check(request) {
            return .respond(.error(refusal.status, code: refusal.code, refusal.message))
        }
        // Publishing has its own token (a feed is not a reader), checked in `publish(_:)`.
        if path.hasPrefix("/api/") || path == "/metrics", path != "/api/market-data/publish", let required = configuration.token {
            guard Auth.matches(Auth.presentedToken(request), required) else {
                return .respond(.error(401, code: "unauthorized", "this server needs a token: Authorization: Bearer <token> or ?token="))
            }
        }
        let endpoint: HubEndpoint, remainder: Substring
        switch HubRoutes.table.match(request.method, path) {
        case let .found(found, rest):
            (endpoint, remainder) = (found, rest)
        case let .methodNotAllowed(allow):
            let allowed = allow.map(\.rawValue).joined(separator: ", ")
            return .respond(.methodNotAllowed("\(request.method.rawValue) is not allowed on \(quoted(path)); use \(allowed)", allow: allowed))
        case .notFound:
            guard request.method == .get, HubRoutes.isDashboardPath(path) else {
                return .respond(.error(404, code: "not_found", "no such endpoint: \(quoted(path))"))
            }
            return .respond(StaticFiles.shared.response(for: path, in: configuration.dashboardDirectory))
        }
        switch endpoint {
        case .quote:
            return quote(String(remainder))
        case .publish:
            return .respond(publish(request))
        case .quotes:
            return quotes(request.query["symbols"] ?? "")
        case .health:
            return .respond(.json(200, health()))
        case .ibkrStatus:
            let server = server
            return .async { await server.ibkrStatusResponse() }
        case .ibkrConnect, .ibkrDisconnect:
            let server = server
            let connect = endpoint == .ibkrConnect
            return .async {
                await server.backend.setIBKRConnected(connect)
                return await server.ibkrStatusResponse()
            }
        case .positionsImport:
            // Every imported position is a symbol followed upstream; a file bigger than an account holds is an attack.
            let rows = Self.csvRows(request.body)
            guard rows <= configuration.maxSymbolsPerImport else {
                metrics.requestsRefusedForSymbols += 1
                return .respond(.error(413, code: "too_many_symbols",
                    "the file has \(rows) positions; one import may hold \(configuration.maxSymbolsPerImport) (server.maxSymbolsPerImport)"))
            }
            return portfolio(request)
        case .portfolio:
            return portfolio(request)
        case .pnl:
            return .respond(.json(200, pnlBody()))
        case .summary:
            return .respond(.json(200, summaryBody()))
        case .allocation:
            return .respond(.json(200, allocationBody()))
        case .brokers:
            return .respond(.json(200, brokersBody()))
        case .broker:
            let parts = remainder.split(separator: "/").map(String.init)
            guard parts.count == 2 else { return .respond(.error(404, code: "not_found", "no such endpoint: \(quoted(path))")) }
            let body = parts[1] == "positions" ? brokerPositionsBody(parts[0]) : parts[1] == "balances" ? brokerBalancesBody(parts[0]) : nil
            guard let body else { return .respond(.error(404, code: "unknown_broker", "no broker \(quoted(parts[0], limit: 40)) with \(quoted(parts[1], limit: 20))")) }
            return .respond(.json(200, body))
        case .streamUpgrade:
            return .respond(.error(426, code: "upgrade_required", "/stream is a WebSocket: connect with ws://…/stream"))
        case .metrics:
            let text = metrics.render(
                clients: subscriberCount, publishers: publisherCount, subscriptions: subscriptionCount, symbols: book.count,
                providerStates: providerStates())
            return .respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Array(text.utf8)))
        case .openAPI:
            return .respond(StaticFiles.shared.response(for: "openapi.yaml", in: configuration.docsDirectory))
        }
    }

    /// Positions and the P&L history, answered by the backend's database; a write's outcome is the database's
    /// health as much as the periodic snapshots are.
    package func portfolio(_ request: HTTPRequest) -> Outcome {
        let server = server
        return .async {
            let response = await server.backend.portfolio(request)
            if request.method != .get, response.status == 503 || (200..<300).contains(response.status) {
                server.reportDatabase(response.status == 503 ? "a position write failed: \(Self.errorMessage(in: response))" : nil)
            }
            return response
        }
    }

    package func providerStates() -> [(String, String, Bool)] {
        let state = ibkrStatus?.state.name ?? "unknown"
        return ["disconnected", "connecting", "ready", "degraded", "reconnecting"].map { ("ibkr", $0, $0 == state) }
    }

    /// The `message` of an error response's body, for a log or health line.
    package static func errorMessage(in response: HTTPResponse) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return ((object?["error"] as? [String: Any])?["message"] as? String) ?? "HTTP \(response.status)"
    }

    /// Non-blank lines after the header: an upper bound on a CSV's positions, counted without parsing it.
    package static func csvRows(_ body: [UInt8]) -> Int {
        var rows = 0, blank = true
        for byte in body {
            if byte == UInt8(ascii: "\n") {
                if !blank { rows += 1 }
                blank = true
            } else if byte != UInt8(ascii: "\r") && byte != UInt8(ascii: " ") {
                blank = false
            }
        }
        if !blank { rows += 1 }
        return max(0, rows - 1)
    }

    // MARK: Quotes

    package func quote(_ text: String) -> Outcome {
        let instrument: Instrument
        do {
            instrument = try SymbolGrammar.parse(text)
        } catch {
            return .respond(.error(400, code: "invalid_symbol", error.description))
        }
        if let entry = book[instrument.symbol], entry.quote.hasPrice {
            // A quote remembered from the last run is stale: serve it as such, and ask for a fresh one.
            if upstream[instrument.symbol] != nil { upstream[instrument.symbol] = Self.nowMicros() } else { want([instrument]) }
            return .respond(.json(200, encoded(entry).bytes))
        }
        if availability[instrument.symbol] == .unknown {
            return .respond(.error(404, code: "unknown_symbol", "no provider knows the instrument \(instrument.symbol)"))
        }
        want([instrument])
        // Refused before anything was asked of a provider (the hub follows its maximum of symbols): say so now.
        if upstream[instrument.symbol] == nil, case let .unavailable(why)? = availability[instrument.symbol] {
            return .respond(.error(503, code: "unavailable", why))
        }
        return .wait(symbols: [instrument.symbol], single: true)
    }

    package func quotes(_ list: String) -> Outcome {
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
        let missing = instruments.filter { book[$0.symbol]?.quote.hasPrice != true && availability[$0.symbol] != .unknown }
        want(instruments)
        if missing.isEmpty { return .respond(.json(200, quotesBody(instruments.map(\.symbol)))) }
        return .wait(symbols: instruments.map(\.symbol), single: false)
    }

    package func quotesBody(_ symbols: [String]) -> [UInt8] {
        var w = JSONWriter(capacity: 400 * symbols.count)
        w.beginObject()
        w.key("quotes")
        w.beginArray()
        for symbol in symbols {
            if let entry = book[symbol], entry.quote.hasPrice { QuoteEncoding.write(entry, into: &w) }
        }
        w.endArray()
        w.key("errors")
        w.beginArray()
        for symbol in symbols where book[symbol]?.quote.hasPrice != true {
            let (code, message) = Self.describe(symbol, availability[symbol] ?? .unavailable("no quote within \(configuration.firstQuoteWaitSeconds) s"))
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

    package func answerWaitingExchanges(for symbol: String) {
        for (id, exchange) in exchanges where exchange.response == nil && exchange.awaiting.contains(symbol) {
            let resolved = exchange.awaiting.allSatisfy { book[$0]?.quote.hasPrice == true || availability[$0] == .unknown }
            if resolved { complete(id) }
        }
    }

    /// Answers a waiting exchange from what is known now.
    package func complete(_ id: Int) {
        guard var exchange = exchanges[id], exchange.response == nil else { return }
        if exchange.single, let symbol = exchange.awaiting.first {
            if let entry = book[symbol], entry.quote.hasPrice {
                exchange.response = .json(200, QuoteEncoding.encode(entry))
            } else if availability[symbol] == .unknown {
                exchange.response = .error(404, code: "unknown_symbol", "no provider knows the instrument \(symbol)")
            } else {
                let reason: String
                if case let .unavailable(why)? = availability[symbol] {
                    reason = why
                } else if let state = ibkrStatus?.state, state != .ready {
                    reason = "IBKR is \(state.name) and no other provider has a quote"
                } else {
                    reason = "no quote within \(configuration.firstQuoteWaitSeconds) s"
                }
                exchange.response = .error(503, code: "unavailable", "no provider can serve \(symbol) now: \(reason)")
            }
        } else {
            exchange.response = .json(200, quotesBody(exchange.awaiting))
        }
        exchanges[id] = exchange
        exchange.connection.requestWritable()
    }

    package func expireExchanges(now: Int64) {
        for (id, exchange) in exchanges where exchange.response == nil && !exchange.awaiting.isEmpty && now >= exchange.deadline {
            complete(id)
        }
    }

    // MARK: Health

    package func health() -> [UInt8] {
        let state = ibkrStatus?.state
        let anyProviderUp = providerHealth.contains(where: \.available)
        // A quote someone wants that no provider keeps live is a problem whatever the connection says, and so is a
        // database that no longer takes writes.
        let staleQuotes = upstream.keys.filter { book[$0]?.quote.stale == true }.count
        var overall = state == .ready ? "ok" : (anyProviderUp || book.count > 0 ? "degraded" : "down")
        if overall == "ok", staleQuotes > 0 || databaseProblem != nil { overall = "degraded" }
        var w = JSONWriter()
        w.beginObject()
        w.field("status", overall)
        w.field("staleQuotes", staleQuotes)
        w.key("database")
        w.beginObject()
        w.field("ok", databaseProblem == nil)
        w.field("detail", databaseProblem)
        w.endObject()
        w.field("uptimeSeconds", Int64(Date().timeIntervalSince(startedAt)))
        w.field("clients", subscriberCount)
        w.field("publishers", publisherCount)
        w.field("subscriptions", subscriptionCount)
        w.field("symbols", upstream.count)
        w.field("quotes", book.count)
        w.key("providers")
        w.beginArray()
        let reports = providerHealth.isEmpty
            ? [ProviderHealth(name: .ibkr, state: state.map(ProviderState.init) ?? .unknown, detail: ibkrStatus?.lastError, available: state == .ready)]
            : providerHealth
        for report in reports {
            w.beginObject()
            w.field("name", report.name.rawValue)
            w.field("state", report.state.rawValue)
            w.field("available", report.available)
            w.field("detail", report.detail)
            w.field("until", report.until)
            w.field("servingSymbols", book.entries.values.filter { $0.quote.source == report.name && !$0.quote.stale }.count)
            w.endObject()
        }
        w.endArray()
        w.key("sources")
        w.beginObject()
        for symbol in upstream.keys.sorted() {
            // What the manager says; before it has said anything, where the quote came from.
            let source: QuoteSource? = sources.index(forKey: symbol).map { sources[$0].value } ?? book[symbol]?.quote.source
            w.field(symbol, source?.rawValue)
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
