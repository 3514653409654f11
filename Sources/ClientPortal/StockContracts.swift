import Foundation
import TickhubCore

/// `/trsrv/stocks?symbols=AAPL,…`: per symbol the companies listed under it, each with its contracts.
public struct StockListing: Equatable, Sendable {
    public struct Contract: Equatable, Sendable {
        public var conid: Int
        public var exchange: String
        public var isUS: Bool

        public init(conid: Int, exchange: String, isUS: Bool) {
            self.conid = conid
            self.exchange = exchange
            self.isUS = isUS
        }
    }

    public var name: String
    public var assetClass: String
    public var contracts: [Contract]

    public init(name: String, assetClass: String, contracts: [Contract]) {
        self.name = name
        self.assetClass = assetClass
        self.contracts = contracts
    }

    /// Symbol → its listings. A symbol whose value is not a list, and a contract without a readable conid, are left out.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> [String: [StockListing]] {
        let body = try Lenient.parse(data, what: "trsrv stocks")
        guard let members = body.object else {
            throw ClientPortalDecodingError("trsrv stocks: expected an object by symbol, got \(body.keyList)")
        }
        var listings: [String: [StockListing]] = [:]
        for (symbol, value) in members {
            guard let items = value.array else { continue }
            listings[symbol] = items.compactMap { item in
                guard item.isObject else { return nil }
                let contracts = (item["contracts"]?.array ?? []).compactMap { contract -> Contract? in
                    guard let conid = Lenient.conid(contract["conid"]) else { return nil }
                    return Contract(conid: conid, exchange: contract["exchange"]?.string ?? "",
                                    isUS: Lenient.bool(contract["isUS"]) ?? false)
                }
                return StockListing(name: item["name"]?.string ?? "", assetClass: item["assetClass"]?.string ?? "", contracts: contracts)
            }
        }
        return listings
    }

    /// The US stock contract to stream: the first listing of asset class STK with a US contract, its first one.
    public static func usStockConid(in listings: [StockListing]) -> Int? {
        for listing in listings where listing.assetClass == "STK" {
            if let contract = listing.contracts.first(where: \.isUS) { return contract.conid }
        }
        return nil
    }

    public static func json(_ listings: [String: [StockListing]]) -> String {
        "{" + listings.sorted { $0.key < $1.key }.map { symbol, items in
            JSONText.quoted(symbol) + ":[" + items.map { item in
                let contracts = item.contracts.map {
                    "{\"conid\":\($0.conid),\"exchange\":\(JSONText.quoted($0.exchange)),\"isUS\":\(JSONText.bool($0.isUS))}"
                }.joined(separator: ",")
                return "{\"name\":\(JSONText.quoted(item.name)),\"assetClass\":\(JSONText.quoted(item.assetClass)),\"contracts\":[\(contracts)]}"
            }.joined(separator: ",") + "]"
        }.joined(separator: ",") + "}"
    }
}
