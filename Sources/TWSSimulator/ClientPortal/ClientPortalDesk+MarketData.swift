internal import ClientPortal
import Foundation
import TickhubCore

extension ClientPortalDesk {
    func iserverAccounts() -> GatewayReply {
        accountsQueried = true
        let ids = engine.accountIDs
        return .ok(BrokerageAccounts(accounts: ids, selectedAccount: ids.first).json)
    }

    /// `/iserver/secdef/search`: a symbol (any case), or with `name` a part of the company's name.
    func secdefSearch(symbol: String?, byName: Bool) -> GatewayReply {
        guard let wanted = symbol?.trimmingCharacters(in: .whitespaces).uppercased(), !wanted.isEmpty else {
            return .error(.badRequest, "Bad Request: symbol is required")
        }
        let matches = engine.configuration.universe.listings.values.filter { listing in
            byName ? listing.longName.uppercased().contains(wanted)
                : listing.instrument.symbol.uppercased() == wanted || listing.instrument.root.uppercased() == wanted
        }.sorted { $0.conId < $1.conId }
        let months = optionMonths()
        let results = matches.map { listing in
            let type = listing.instrument.securityType
            let sections: [ContractSearchResult.Section] = type == .stock
                // Any option on a listed stock exists here, as on the TWS side.
                ? [.init(secType: type.rawValue), .init(secType: SecurityType.option.rawValue, months: months, exchanges: ["SMART", "CBOE"])]
                : [.init(secType: type.rawValue, exchanges: [listing.primaryExchange])]
            return ContractSearchResult(
                conid: listing.conId, symbol: listing.instrument.symbol,
                companyHeader: "\(listing.longName) - \(listing.primaryExchange)", description: listing.primaryExchange,
                sections: sections)
        }
        return .ok(ContractSearchResult.json(results))
    }

    /// `/trsrv/stocks?symbols=A,B`: stocks only; a symbol that is not one is left out.
    func stocks(_ symbols: String?) -> GatewayReply {
        guard let symbols, !symbols.isEmpty else { return .error(.badRequest, "Bad Request: symbols is required") }
        var listings: [String: [StockListing]] = [:]
        for symbol in symbols.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let listing = engine.configuration.universe.listings[symbol],
                  listing.instrument.securityType == .stock
            else { continue }
            listings[symbol] = [StockListing(
                name: listing.longName, assetClass: SecurityType.stock.rawValue,
                contracts: [.init(conid: listing.conId, exchange: listing.primaryExchange, isUS: true)])]
        }
        return .ok(StockListing.json(listings))
    }

    /// `/iserver/marketdata/snapshot`: a conid's first call primes it and answers only its ids, later ones the
    /// fields asked for (those this simulator fills), as strings, with the availability always.
    func snapshot(conids: String?, fields: String?) -> GatewayReply {
        guard accountsQueried else { return .error(.badRequest, "Bad Request: please query /iserver/accounts first") }
        guard let conids, !conids.isEmpty else { return .error(.badRequest, "Bad Request: conids is required") }
        var listings: [(Int, SymbolUniverse.Listing)] = []
        for text in conids.split(separator: ",") {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let conid = Int(trimmed.split(separator: "@").first ?? "") else {
                return .error(.badRequest, "Bad Request: conid '\(trimmed)' is not a number")
            }
            guard let listing = engine.listingsByConId[conid] else {
                return .error(.badRequest, "Bad Request: no contract with conid \(conid)")
            }
            listings.append((conid, listing))
        }
        var wanted = SnapshotFields.defaultFields
        if let fields {
            let codes = fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard codes.count <= MarketDataField.maximumPerRequest else {
                return .error(.badRequest, "Bad Request: at most \(MarketDataField.maximumPerRequest) fields a request")
            }
            wanted = codes.compactMap(MarketDataField.init(code:))
        }
        var rows: [String] = []
        var newlyPrimed: [Int] = []
        for (conid, listing) in listings {
            if primed.contains(conid) {
                let values = fieldValues(listing)
                var chosen = values.filter { wanted.contains($0.key) }
                chosen[.availability] = values[.availability]
                rows.append(StreamEncoding.snapshotRow(conid: conid, updated: nowMilliseconds, fields: chosen))
            } else {
                newlyPrimed.append(conid)
                rows.append(StreamEncoding.snapshotRow(conid: conid, updated: nil, fields: [:]))
            }
        }
        if !newlyPrimed.isEmpty { primed.formUnion(newlyPrimed) }
        return .ok("[" + rows.joined(separator: ",") + "]")
    }

    /// Every field the simulator fills for a listing now, with the account's entitlement to it.
    func fieldValues(_ listing: SymbolUniverse.Listing) -> [MarketDataField: String] {
        let symbol = listing.instrument.symbol
        let entitlement: SnapshotFields.Entitlement =
            engine.configuration.unentitledSymbols.contains(symbol) ? .notSubscribed
            : engine.configuration.delayedOnlySymbols.contains(symbol) ? .delayed : .live
        let marketOpen = MarketHours.isOpen(listing.instrument, at: Date(timeIntervalSince1970: engine.simulatedTime))
        return SnapshotFields.values(
            of: engine.walk(for: listing), symbol: symbol, entitlement: entitlement, marketOpen: marketOpen,
            halted: halted.contains(symbol))
    }
}
