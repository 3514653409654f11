/// An account-level figure a broker reports: a summary tag (`NetLiquidation`, `TotalCashValue`…) or an account
/// value, as text with its currency.
public struct AccountBalance: Equatable, Sendable {
    public var account: String
    public var tag: String
    public var value: String
    public var currency: String

    public init(account: String, tag: String, value: String, currency: String) {
        self.account = account
        self.tag = tag
        self.value = value
        self.currency = currency
    }
}
