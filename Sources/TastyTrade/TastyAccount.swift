import TickhubCore

/// One account of `GET /customers/me/accounts`: `data.items[].account` with the item's `authority-level` beside it.
public struct TastyAccount: Equatable, Sendable {
    public var accountNumber: String
    public var nickname: String?
    /// "Margin" or "Cash".
    public var marginOrCash: String?
    public var accountTypeName: String?
    public var isClosed: Bool
    /// "owner", "trade-only", "read-only"…
    public var authorityLevel: String?

    public init(
        accountNumber: String, nickname: String? = nil, marginOrCash: String? = nil, accountTypeName: String? = nil,
        isClosed: Bool = false, authorityLevel: String? = nil
    ) {
        self.accountNumber = accountNumber
        self.nickname = nickname
        self.marginOrCash = marginOrCash
        self.accountTypeName = accountTypeName
        self.isClosed = isClosed
        self.authorityLevel = authorityLevel
    }

    /// Every account of the answer. An item without an account number cannot be synced or named, so the whole answer
    /// is refused rather than a list that silently lacks one.
    public static func list(json: [UInt8]) throws(TastyTradeFormatError) -> [TastyAccount] {
        let items = try TastyJSON.items(TastyJSON.parse(json, what: "accounts"), what: "accounts")
        var accounts: [TastyAccount] = []
        for (index, item) in items.enumerated() {
            // The account is nested under `account`; an item that is the account itself is read the same.
            let account = item["account"]?.object ?? item.object
            guard let account else { throw TastyTradeFormatError("accounts: data.items[\(index)] is not an object") }
            guard let number = TastyJSON.text(account["account-number"]) else {
                throw TastyTradeFormatError("accounts: data.items[\(index)].account has no \"account-number\"")
            }
            accounts.append(
                TastyAccount(
                    accountNumber: number, nickname: TastyJSON.text(account["nickname"]),
                    marginOrCash: TastyJSON.text(account["margin-or-cash"]),
                    accountTypeName: TastyJSON.text(account["account-type-name"]),
                    isClosed: TastyJSON.bool(account["is-closed"]) ?? false,
                    authorityLevel: TastyJSON.text(item["authority-level"])))
        }
        return accounts
    }

    public static func listJSON(_ accounts: [TastyAccount]) -> [UInt8] {
        let items = accounts.map { account in
            "{\"account\":{\"account-number\":\(TastyJSON.quoted(account.accountNumber)),"
                + "\"nickname\":\(TastyJSON.quoted(account.nickname)),"
                + "\"account-type-name\":\(TastyJSON.quoted(account.accountTypeName)),"
                + "\"margin-or-cash\":\(TastyJSON.quoted(account.marginOrCash)),"
                + "\"is-closed\":\(TastyJSON.bool(account.isClosed))},"
                + "\"authority-level\":\(TastyJSON.quoted(account.authorityLevel))}"
        }
        return Array("{\"data\":{\"items\":[\(items.joined(separator: ","))]},\"context\":\"/customers/me/accounts\"}".utf8)
    }
}
