import TickhubCore

/// A position as a broker reports it, for `PositionStore.syncBroker` (and `syncIBKR`). The IBKR module's
/// `IBKRPosition` and TastyTrade's positions map onto it (symbol in Tickhub's grammar, quantity, average cost,
/// multiplier, currency).
public struct BrokerPosition: Sendable, Equatable {
    public var symbol: String
    public var securityType: SecurityType
    /// Zero means "no longer held" (IBKR reports closed positions with 0 until the next session).
    public var quantity: Double
    /// As the broker reports it (IBKR: per contract, multiplier included, for options and futures; TastyTrade:
    /// per unit).
    public var averageCost: Double
    public var multiplier: Double
    public var currency: String
    public var conId: Int64?
    public var exchange: String?
    /// Set when Tickhub cannot value the position (a future, which its grammar has no place for): `symbol` is then
    /// the broker's own, stored as it is and listed with this reason instead of being skipped.
    public var unvaluedReason: String?

    public init(
        symbol: String, securityType: SecurityType, quantity: Double, averageCost: Double, multiplier: Double = 1,
        currency: String = "USD", conId: Int64? = nil, exchange: String? = nil, unvaluedReason: String? = nil
    ) {
        self.symbol = symbol
        self.securityType = securityType
        self.quantity = quantity
        self.averageCost = averageCost
        self.multiplier = multiplier
        self.currency = currency
        self.conId = conId
        self.exchange = exchange
        self.unvaluedReason = unvaluedReason
    }
}

/// What `syncBroker` did with one account's report.
public struct BrokerSyncResult: Sendable, Equatable {
    /// A reported position the store could not take, and why. It is skipped, and a stored position with the
    /// same symbol is kept open as it was.
    public struct Skipped: Sendable, Equatable {
        public var symbol: String
        public var reason: String
    }

    public var changes: PositionChanges
    public var skipped: [Skipped]
    /// Ids of the account's manual and imported positions the sync closed: once the broker reports the account,
    /// it is the authority, and those rows would count its positions twice.
    public var superseded: [Int64] = []
}

/// The name `syncIBKR`'s callers knew it by.
public typealias IBKRSyncResult = BrokerSyncResult
