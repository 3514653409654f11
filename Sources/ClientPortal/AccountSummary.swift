import Foundation
import TickhubCore

/// `/portfolio/{accountId}/summary`: one entry per key (lower case: "netliquidation", "totalcashvalue",
/// "availablefunds"…, with "-c" and "-s" variants for the commodity and securities segments), each
/// `{amount, currency, isNull, timestamp, value, severity}`.
public struct AccountSummaryEntry: Equatable, Sendable {
    /// Nil when IBKR says the key has no value (`isNull`), as opposed to a value of zero.
    public var amount: Double?
    public var currency: String?
    /// Milliseconds since the epoch of IBKR's figure.
    public var timestamp: Int64?
    /// The text of a non-numeric key ("accounttype": "INDIVIDUAL").
    public var value: String?

    public init(amount: Double?, currency: String? = nil, timestamp: Int64? = nil, value: String? = nil) {
        self.amount = amount
        self.currency = currency
        self.timestamp = timestamp
        self.value = value
    }
}

public enum AccountSummary {
    /// Key → entry. An entry that is not an object is left out; `isNull` wins over any amount beside it.
    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> [String: AccountSummaryEntry] {
        let body = try Lenient.parse(data, what: "account summary")
        guard let members = body.object else {
            throw ClientPortalDecodingError("account summary: expected an object by key, got \(body.keyList)")
        }
        var entries: [String: AccountSummaryEntry] = [:]
        for (key, item) in members where item.isObject {
            let isNull = Lenient.bool(item["isNull"]) ?? false
            entries[key.lowercased()] = AccountSummaryEntry(
                amount: isNull ? nil : Lenient.number(item["amount"]),
                currency: item["currency"]?.string.flatMap { $0.isEmpty ? nil : $0 },
                timestamp: Lenient.milliseconds(item["timestamp"]),
                value: item["value"]?.string)
        }
        return entries
    }

    /// The summary as TWS's account values: a tag (TWS's spelling where the hub reads one) with the figure as text.
    /// Keys without an amount are left out, and text keys ("accountcode", whose amount is a meaningless 0); so are
    /// the segment variants ("-c", "-s"), which would count twice.
    public static func balances(_ entries: [String: AccountSummaryEntry], account: String, baseCurrency: String) -> [AccountBalance] {
        entries.sorted { $0.key < $1.key }.compactMap { key, entry in
            guard let amount = entry.amount, entry.value == nil, !key.hasSuffix("-c"), !key.hasSuffix("-s") else { return nil }
            let tag = twsTags[key] ?? key
            return AccountBalance(account: account, tag: tag, value: JSONText.number(amount), currency: entry.currency ?? baseCurrency)
        }
    }

    /// The gateway's keys for the figures TWS names in its account summary.
    public static let twsTags: [String: String] = [
        "netliquidation": "NetLiquidation", "totalcashvalue": "TotalCashValue", "settledcash": "SettledCash",
        "accruedcash": "AccruedCash", "buyingpower": "BuyingPower", "equitywithloanvalue": "EquityWithLoanValue",
        "grosspositionvalue": "GrossPositionValue", "initmarginreq": "InitMarginReq", "maintmarginreq": "MaintMarginReq",
        "availablefunds": "AvailableFunds", "excessliquidity": "ExcessLiquidity", "cushion": "Cushion",
    ]

    public static func json(_ entries: [String: AccountSummaryEntry]) -> String {
        "{" + entries.sorted { $0.key < $1.key }.map { key, entry in
            let amount = entry.amount.map(JSONText.number) ?? "0.0"
            return JSONText.quoted(key) + ":{\"amount\":\(amount),\"currency\":\(entry.currency.map(JSONText.quoted) ?? "null"),"
                + "\"isNull\":\(JSONText.bool(entry.amount == nil)),\"timestamp\":\(entry.timestamp.map { String($0) } ?? "null"),"
                + "\"value\":\(entry.value.map(JSONText.quoted) ?? "null"),\"severity\":0}"
        }.joined(separator: ",") + "}"
    }
}
