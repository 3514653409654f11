import Foundation
import TickhubCore

/// One position of `/portfolio/{accountId}/positions/{page}`. The gateway pages them (30 a page at the time of
/// writing; a page shorter than that, or empty, is the last).
///
/// Figures are IBKR's own: `avgCost` per contract with the multiplier applied (as TWS's), `avgPrice` per share;
/// `mktPrice` and the P&L as IBKR valued them at its last update.
public struct PortfolioPosition: Equatable, Sendable {
    public var accountId: String
    public var conid: Int
    public var contractDesc: String
    /// IBKR's `position`; Tickhub says quantity.
    public var quantity: Double
    public var marketPrice: Double?
    public var marketValue: Double?
    public var avgCost: Double?
    public var avgPrice: Double?
    public var unrealizedPnl: Double?
    public var realizedPnl: Double?
    public var currency: String?
    /// "STK", "OPT", "FUT", "CASH"…
    public var assetClass: String?
    public var multiplier: Double?
    public var ticker: String?
    public var expiry: String?
    public var strike: Double?
    /// "C" or "P" for an option.
    public var putOrCall: String?

    public init(accountId: String, conid: Int, contractDesc: String = "", quantity: Double) {
        self.accountId = accountId
        self.conid = conid
        self.contractDesc = contractDesc
        self.quantity = quantity
    }

    /// A page. A position without a conid or a finite quantity is left out and named in `refused`: a position the hub
    /// cannot size would be valued wrongly.
    public static func decodePage(_ data: Data) throws(ClientPortalDecodingError) -> (positions: [PortfolioPosition], refused: [String]) {
        let body = try Lenient.parse(data, what: "positions")
        guard let items = body.array else {
            throw ClientPortalDecodingError("positions: expected an array, got \(body.keyList)")
        }
        var positions: [PortfolioPosition] = []
        var refused: [String] = []
        for (index, item) in items.enumerated() {
            guard item.isObject else { refused.append("positions[\(index)]: not an object"); continue }
            guard let conid = Lenient.conid(item["conid"]) else { refused.append("positions[\(index)]: no readable conid"); continue }
            guard let quantity = Lenient.number(item["position"]) else {
                refused.append("positions[\(index)] (conid \(conid)): no readable position")
                continue
            }
            var position = PortfolioPosition(
                accountId: Lenient.text(item["acctId"]) ?? "", conid: conid, contractDesc: item["contractDesc"]?.string ?? "",
                quantity: quantity)
            position.marketPrice = Lenient.number(item["mktPrice"])
            position.marketValue = Lenient.number(item["mktValue"])
            position.avgCost = Lenient.number(item["avgCost"])
            position.avgPrice = Lenient.number(item["avgPrice"])
            position.unrealizedPnl = Lenient.number(item["unrealizedPnl"])
            position.realizedPnl = Lenient.number(item["realizedPnl"])
            position.currency = item["currency"]?.string
            position.assetClass = item["assetClass"]?.string
            // A multiplier of 0 or less (IBKR writes 0 or null for stocks) is no multiplier.
            position.multiplier = Lenient.number(item["multiplier"]).flatMap { $0 > 0 ? $0 : nil }
            position.ticker = item["ticker"]?.string
            position.expiry = Lenient.text(item["expiry"])
            position.strike = Lenient.number(item["strike"]).flatMap { $0 > 0 ? $0 : nil }
            position.putOrCall = item["putOrCall"]?.string
            positions.append(position)
        }
        return (positions, refused)
    }

    /// The gateway's page size: a page with fewer positions is the last.
    public static let pageSize = 30

    public var json: String {
        func number(_ value: Double?) -> String { value.map(JSONText.number) ?? "null" }
        func text(_ value: String?) -> String { value.map(JSONText.quoted) ?? "null" }
        return "{\"acctId\":\(JSONText.quoted(accountId)),\"conid\":\(conid),\"contractDesc\":\(JSONText.quoted(contractDesc)),"
            + "\"position\":\(JSONText.number(quantity)),\"mktPrice\":\(number(marketPrice)),\"mktValue\":\(number(marketValue)),"
            + "\"currency\":\(text(currency)),\"avgCost\":\(number(avgCost)),\"avgPrice\":\(number(avgPrice)),"
            + "\"realizedPnl\":\(number(realizedPnl)),\"unrealizedPnl\":\(number(unrealizedPnl)),"
            + "\"assetClass\":\(text(assetClass)),\"multiplier\":\(number(multiplier)),\"ticker\":\(text(ticker)),"
            + "\"expiry\":\(text(expiry)),\"strike\":\(number(strike)),\"putOrCall\":\(text(putOrCall))}"
    }
}
