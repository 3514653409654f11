/// A position a broker reports that Tickhub cannot value: its symbol has no place in Tickhub's grammar (a future
/// today) or could not be read. It is kept and listed as the broker gave it, with the reason, so that a portfolio
/// never looks smaller than it is; it counts in the totals' `unvalued` and in none of their sums.
public struct UnvaluedHolding: Sendable, Equatable {
    public var broker: String
    public var account: String
    /// The broker's own symbol (`/ESZ6`), not Tickhub's.
    public var symbol: String
    /// The broker's word for the kind of instrument (`Future`, `Future Option`), or Tickhub's when it has one.
    public var secType: String
    /// Negative for a short position.
    public var quantity: Double
    public var multiplier: Double
    /// Per unit, as the broker gave it; nil when it gave none.
    public var averageCost: Double?
    public var currency: String
    /// Why it is not valued, for a person to read.
    public var reason: String

    public init(broker: String, account: String, symbol: String, secType: String, quantity: Double, multiplier: Double = 1,
                averageCost: Double? = nil, currency: String = "USD", reason: String) {
        self.broker = broker
        self.account = account
        self.symbol = symbol
        self.secType = secType
        self.quantity = quantity
        self.multiplier = multiplier
        self.averageCost = averageCost
        self.currency = currency
        self.reason = reason
    }
}
