import HubProtocol
import TickhubCore

/// HTTP requests the fan-out thread is answering later: waiting for a first quote, or for an answer worked out
/// off the thread (a database, a provider). The host writes each answer when its socket has room.
package struct HTTPExchanges {
    package struct Exchange {
        let connection: any Connection
        /// The route it is counted under when answered (`FanoutHub.metricsRoute`).
        let route: String
        package var response: HTTPResponse?
        /// Symbols whose first quote the request waits for, and until when (µs since the epoch).
        var awaiting: [String] = []
        /// One quote (`/quote/{symbol}`), not a list (`/quotes`).
        var single = true
        var deadline: Int64 = 0
    }

    private var byID: [Int: Exchange] = [:]
    /// Unanswered exchanges by the symbols they wait for: every published quote asks, so the answer must not
    /// cost a walk over every exchange.
    private var awaitedBy: [String: Set<Int>] = [:]
    private var nextID = 1
    private let metrics: Metrics

    init(metrics: Metrics) { self.metrics = metrics }

    /// A new request's id; the host keeps it with the connection.
    package mutating func newID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    mutating func wait(_ id: Int, _ connection: any Connection, route: String, for symbols: [String], single: Bool, until deadline: Int64) {
        byID[id] = Exchange(connection: connection, route: route, awaiting: symbols, single: single, deadline: deadline)
        for symbol in symbols { awaitedBy[symbol, default: []].insert(id) }
    }

    mutating func expect(_ id: Int, _ connection: any Connection, route: String) {
        byID[id] = Exchange(connection: connection, route: route)
    }

    /// The answer is ready: the connection is asked to write it.
    package mutating func answer(_ id: Int, _ response: HTTPResponse) {
        guard let exchange = byID[id] else { return }
        if exchange.response == nil { metrics.countRequest(route: exchange.route, status: response.status) }
        stopWaiting(id)
        byID[id]!.response = response
        byID[id]!.connection.requestWritable()
    }

    /// The ready answer, taken: the host writes it once.
    package mutating func take(_ id: Int) -> HTTPResponse? {
        guard let response = byID[id]?.response else { return nil }
        byID[id] = nil
        return response
    }

    package mutating func forget(_ id: Int) {
        stopWaiting(id)
        byID[id] = nil
    }

    private mutating func stopWaiting(_ id: Int) {
        guard let exchange = byID[id], exchange.response == nil else { return }
        for symbol in exchange.awaiting {
            awaitedBy[symbol]?.remove(id)
            if awaitedBy[symbol]?.isEmpty == true { awaitedBy[symbol] = nil }
        }
    }

    func isAwaiting(_ symbol: String) -> Bool { awaitedBy[symbol] != nil }

    /// Unanswered exchanges waiting on the symbol's quote, with all they wait for.
    func waiting(for symbol: String) -> [(id: Int, exchange: Exchange)] {
        guard let ids = awaitedBy[symbol] else { return [] }
        return ids.compactMap { id in byID[id].map { (id, $0) } }
    }

    /// Every unanswered exchange waiting on quotes, for their deadlines.
    func waitingForQuotes() -> [(id: Int, exchange: Exchange)] {
        byID.filter { $0.value.response == nil && !$0.value.awaiting.isEmpty }.map { ($0.key, $0.value) }
    }

    /// How many symbols have a request waiting on them (for tests: the index empties as requests are answered).
    var awaitedSymbolCount: Int { awaitedBy.count }
}
