import Foundation
import TickhubCore

/// `/iserver/accounts`: the accounts the brokerage session may use. The gateway wants this asked before any market
/// data, so its answer is also the sign that the session is ready.
public struct BrokerageAccounts: Equatable, Sendable {
    public var accounts: [String]
    public var selectedAccount: String?

    public init(accounts: [String], selectedAccount: String? = nil) {
        self.accounts = accounts
        self.selectedAccount = selectedAccount
    }

    public static func decode(_ data: Data) throws(ClientPortalDecodingError) -> BrokerageAccounts {
        let body = try Lenient.parse(data, what: "accounts")
        guard let list = body["accounts"]?.array else {
            throw ClientPortalDecodingError("accounts: no accounts list (keys \(body.keyList))")
        }
        let accounts = list.compactMap { Lenient.text($0) }.filter { !$0.isEmpty }
        return BrokerageAccounts(accounts: accounts, selectedAccount: body["selectedAccount"]?.string)
    }

    public var json: String {
        let list = accounts.map(JSONText.quoted).joined(separator: ",")
        let selected = selectedAccount.map(JSONText.quoted) ?? "null"
        return "{\"accounts\":[\(list)],\"selectedAccount\":\(selected)}"
    }
}
