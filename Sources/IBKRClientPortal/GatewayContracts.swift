import ClientPortal
import Foundation
import TickhubCore

/// Contract ids by instrument, looked up at the gateway once and kept for the process's life (a conid does not
/// change). Each kind has its own way there:
/// - stock: `/iserver/secdef/search` by ticker, the result that lists stock;
/// - option: the underlying's result from that search (which lists the months with options), then
///   `/iserver/secdef/info` for the month, strike and right, and of the contracts it lists the one whose maturity
///   date is the OCC expiry;
/// - forex: `/iserver/currency/pairs` by the base currency (IBKR's search takes no CASH security type);
/// - crypto: the search's CRYPTO result on PAXOS.
/// nil: the gateway knows no such contract.
actor GatewayContracts {
    private let client: GatewayClient
    private var known: [String: Int?] = [:]
    /// Lookups under way, so two asking for one symbol at once share a lookup.
    private var underway: [String: Task<Result<Int?, GatewayError>, Never>] = [:]
    /// Search results by symbol: the options on one underlying share its search.
    private var searches: [String: [ContractSearchResult]] = [:]

    init(client: GatewayClient) {
        self.client = client
    }

    func conid(for instrument: Instrument) async throws(GatewayError) -> Int? {
        let symbol = instrument.symbol
        if let found = known[symbol] { return found }
        let lookup: Task<Result<Int?, GatewayError>, Never>
        if let running = underway[symbol] {
            lookup = running
        } else {
            lookup = Task { await self.resolve(instrument) }
            underway[symbol] = lookup
        }
        let result = await lookup.value
        underway[symbol] = nil
        // A failed lookup (the session went, the penalty box) is not an answer: the next asks again.
        if case let .success(found) = result { known[symbol] = .some(found) }
        return try result.get()
    }

    private func resolve(_ instrument: Instrument) async -> Result<Int?, GatewayError> {
        do throws(GatewayError) {
            switch instrument.securityType {
            case .stock:
                return .success(ContractSearchResult.stockConid(for: instrument.root, in: try await search(instrument.root)))
            case .option:
                guard let terms = instrument.option else { return .success(nil) }
                return .success(try await option(terms))
            case .forex:
                let pairs = try await answer(.currencyPairs, path: GatewayPath.currencyPairs(currency: instrument.root)) { data throws(ClientPortalDecodingError) in
                    try CurrencyPair.decode(data)
                }
                return .success(pairs.flatMap { CurrencyPair.conid(base: instrument.root, quote: instrument.currency, in: $0) })
            case .crypto:
                return .success(ContractSearchResult.cryptoConid(for: instrument.root, exchange: instrument.exchange, in: try await search(instrument.root)))
            case .future, .index:
                // Not in Tickhub's symbol grammar: nothing to look up.
                return .success(nil)
            }
        } catch {
            return .failure(error)
        }
    }

    private func option(_ terms: OptionTerms) async throws(GatewayError) -> Int? {
        let results = try await search(terms.underlying)
        guard let underlying = results.first(where: {
            $0.symbol.caseInsensitiveCompare(terms.underlying) == .orderedSame && $0.secTypes.contains("STK")
        }), let month = OptionContract.month(ofExpiry: terms.expiry) else { return nil }
        if known[terms.underlying] == nil { known[terms.underlying] = .some(underlying.conid) }
        // The search names the months with options: one not among them has none to ask about.
        let months = underlying.optionMonths
        guard underlying.secTypes.contains("OPT"), months.isEmpty || months.contains(month) else { return nil }
        let path = GatewayPath.optionInfo(underlying: underlying.conid, month: month, strike: terms.strike, right: terms.right.rawValue)
        let contracts = try await answer(.secdefInfo, path: path) { data throws(ClientPortalDecodingError) in
            try OptionContract.decodeList(data)
        }
        return contracts.flatMap { OptionContract.matching(terms, in: $0)?.conid }
    }

    private func search(_ symbol: String) async throws(GatewayError) -> [ContractSearchResult] {
        let key = symbol.uppercased()
        if let results = searches[key] { return results }
        let results = try await answer(.secdefSearch, path: GatewayPath.secdefSearch(symbol: symbol)) { data throws(ClientPortalDecodingError) in
            try ContractSearchResult.decodeList(data)
        } ?? []
        searches[key] = results
        return results
    }

    /// The decoded answer; nil when the gateway refuses the request as asking for something it does not have (a 400
    /// or 404, as it answers a strike or month with no contract). Anything else that goes wrong is thrown.
    private func answer<T>(_ endpoint: GatewayEndpoint, path: String, _ read: (Data) throws(ClientPortalDecodingError) -> T) async throws(GatewayError) -> T? {
        let data: Data
        do {
            data = try await client.call(endpoint, path: path)
        } catch {
            if case let .status(code, _) = error, code == 400 || code == 404 { return nil }
            throw error
        }
        do {
            return try read(data)
        } catch {
            throw .malformed("\(error)")
        }
    }
}
