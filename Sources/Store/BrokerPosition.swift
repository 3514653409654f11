import TickhubCore

/// A position as a broker reports it, for `PositionStore.syncIBKR`. The IBKR module's `IBKRPosition`
/// maps onto it (symbol from its `instrument`, `conId`, quantity, average cost, multiplier, currency).
public struct BrokerPosition: Sendable, Equatable {
    public var symbol: String
    public var securityType: SecurityType
    /// Zero means "no longer held" (IBKR reports closed positions with 0 until the next session).
    public var quantity: Double
    /// As the broker reports it (IBKR: per contract, multiplier included, for options and futures).
    public var averageCost: Double
    public var multiplier: Double
    public var currency: String
    public var conId: Int64?
    public var exchange: String?

    public init(
        symbol: String, securityType: SecurityType, quantity: Double, averageCost: Double, multiplier: Double = 1,
        currency: String = "USD", conId: Int64? = nil, exchange: String? = nil
    ) {
        self.symbol = symbol
        self.securityType = securityType
        self.quantity = quantity
        self.averageCost = averageCost
        self.multiplier = multiplier
        self.currency = currency
        self.conId = conId
        self.exchange = exchange
    }
}

/// What `syncIBKR` did with one account's report.
public struct IBKRSyncResult: Sendable, Equatable {
    /// A reported position the store could not take, and why. It is skipped, and a stored position with the
    /// same symbol is kept open as it was.
    public struct Skipped: Sendable, Equatable {
        public var symbol: String
        public var reason: String
    }

    public var changes: PositionChanges
    public var skipped: [Skipped]
}
