import Foundation
import TickhubCore

/// One account of `/portfolio/accounts` (which the portfolio endpoints want asked first).
public struct PortfolioAccount: Equatable, Sendable {
    public var accountId: String
    /// The base currency.
    public var currency: String?
    /// "INDIVIDUAL", "DEMO" (a paper account)…
    public var type: String?
    public var displayName: String?

    public init(accountId: String, currency: String? = nil, type: String? = nil, displayName: String? = nil) {
        self.accountId = accountId
        self.currency = currency
        self.type = type
        self.displayName = displayName
    }

    /// An account without an id (`accountId`, else `id`) is left out.
    public static func decodeList(_ data: Data) throws(ClientPortalDecodingError) -> [PortfolioAccount] {
        let body = try Lenient.parse(data, what: "portfolio accounts")
        guard let items = body.array else {
            throw ClientPortalDecodingError("portfolio accounts: expected an array, got \(body.keyList)")
        }
        return items.compactMap { item in
            guard let id = Lenient.text(item["accountId"]) ?? Lenient.text(item["id"]), !id.isEmpty else { return nil }
            return PortfolioAccount(accountId: id, currency: item["currency"]?.string, type: item["type"]?.string,
                                    displayName: item["displayName"]?.string)
        }
    }

    public static func json(_ accounts: [PortfolioAccount]) -> String {
        "[" + accounts.map { account in
            "{\"id\":\(JSONText.quoted(account.accountId)),\"accountId\":\(JSONText.quoted(account.accountId)),"
                + "\"currency\":\(account.currency.map(JSONText.quoted) ?? "null"),\"type\":\(account.type.map(JSONText.quoted) ?? "null"),"
                + "\"displayName\":\(account.displayName.map(JSONText.quoted) ?? "null")}"
        }.joined(separator: ",") + "]"
    }
}
