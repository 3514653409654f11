// TWS → client positions, account values and P&L.

/// position (61): 16 fields; the contract block carries the routing exchange (empty for futures and options).
public struct Position: TWSMessage {
    public static let id = 61
    public var account = ""
    public var contract = Contract()
    public var position = 0.0
    /// Per unit for stocks; per contract (multiplier applied) for options and futures.
    public var averageCost = 0.0
    public init() {}
    public init(account: String, contract: Contract, position: Double, averageCost: Double) {
        self.account = account
        self.contract = contract
        self.position = position
        self.averageCost = averageCost
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(3)
        try c.field(&account)
        try contract.layout(&c, exchanges: .routing)
        try c.field(&position); try c.field(&averageCost)
    }
}

/// positionEnd (62).
public struct PositionEnd: EmptyMessage {
    public static let id = 62
    public static let version: Int? = 1
    public init() {}
}

/// accountSummary (63): one tag of one account.
public struct AccountSummary: TWSMessage {
    public static let id = 63
    public var requestID = 0
    public var account = ""
    public var tag = ""
    public var value = ""
    public var currency = ""
    public init() {}
    public init(requestID: Int, account: String, tag: String, value: String, currency: String) {
        self.requestID = requestID
        self.account = account
        self.tag = tag
        self.value = value
        self.currency = currency
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&requestID); try c.field(&account); try c.field(&tag); try c.field(&value); try c.field(&currency)
    }
}

/// accountSummaryEnd (64).
public struct AccountSummaryEnd: RequestIDMessage {
    public static let id = 64
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}

/// updateAccountValue (6): one key of the subscribed account.
public struct AccountValue: TWSMessage {
    public static let id = 6
    public var key = ""
    public var value = ""
    public var currency = ""
    public var account = ""
    public init() {}
    public init(key: String, value: String, currency: String, account: String) {
        self.key = key
        self.value = value
        self.currency = currency
        self.account = account
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(2)
        try c.field(&key); try c.field(&value); try c.field(&currency); try c.field(&account)
    }
}

/// updatePortfolioValue (7): 20 fields; the contract block carries the primary exchange.
public struct PortfolioValue: TWSMessage {
    public static let id = 7
    public var contract = Contract()
    public var position = 0.0
    public var marketPrice = 0.0
    public var marketValue = 0.0
    public var averageCost = 0.0
    public var unrealizedPnL = 0.0
    public var realizedPnL = 0.0
    public var account = ""
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(8)
        try contract.layout(&c, exchanges: .primary)
        try c.field(&position); try c.field(&marketPrice); try c.field(&marketValue); try c.field(&averageCost)
        try c.field(&unrealizedPnL); try c.field(&realizedPnL); try c.field(&account)
    }
}

/// updateAccountTime (8): `HH:MM`.
public struct AccountUpdateTime: TWSMessage {
    public static let id = 8
    public var time = ""
    public init() {}
    public init(time: String) { self.time = time }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&time)
    }
}

/// accountDownloadEnd (54): the end of the first account-updates burst.
public struct AccountDownloadEnd: TWSMessage {
    public static let id = 54
    public var account = ""
    public init() {}
    public init(account: String) { self.account = account }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&account)
    }
}

/// accountUpdateMulti (73).
public struct AccountUpdateMulti: TWSMessage {
    public static let id = 73
    public var requestID = 0
    public var account = ""
    public var modelCode = ""
    public var key = ""
    public var value = ""
    public var currency = ""
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&requestID); try c.field(&account); try c.field(&modelCode)
        try c.field(&key); try c.field(&value); try c.field(&currency)
    }
}

/// accountUpdateMultiEnd (74).
public struct AccountUpdateMultiEnd: RequestIDMessage {
    public static let id = 74
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}

/// pnl (94): account P&L. No version field; unset values are max-double.
public struct AccountPnL: TWSMessage {
    public static let id = 94
    public var requestID = 0
    public var dailyPnL: Double? = nil
    public var unrealizedPnL: Double? = nil
    public var realizedPnL: Double? = nil
    public init() {}
    public init(requestID: Int, dailyPnL: Double?, unrealizedPnL: Double?, realizedPnL: Double?) {
        self.requestID = requestID
        self.dailyPnL = dailyPnL
        self.unrealizedPnL = unrealizedPnL
        self.realizedPnL = realizedPnL
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID)
        try c.field(&dailyPnL, unset: .sentinel)
        if c.serverVersion >= ServerVersion.unrealizedPnL { try c.field(&unrealizedPnL, unset: .sentinel) }
        if c.serverVersion >= ServerVersion.realizedPnL { try c.field(&realizedPnL, unset: .sentinel) }
    }
}

/// pnlSingle (95): one position's P&L.
public struct PositionPnL: TWSMessage {
    public static let id = 95
    public var requestID = 0
    public var position = 0.0
    public var dailyPnL: Double? = nil
    public var unrealizedPnL: Double? = nil
    public var realizedPnL: Double? = nil
    public var value: Double? = nil
    public init() {}
    public init(
        requestID: Int, position: Double, dailyPnL: Double?, unrealizedPnL: Double?, realizedPnL: Double?,
        value: Double?
    ) {
        self.requestID = requestID
        self.position = position
        self.dailyPnL = dailyPnL
        self.unrealizedPnL = unrealizedPnL
        self.realizedPnL = realizedPnL
        self.value = value
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&position)
        try c.field(&dailyPnL, unset: .sentinel)
        if c.serverVersion >= ServerVersion.unrealizedPnL { try c.field(&unrealizedPnL, unset: .sentinel) }
        if c.serverVersion >= ServerVersion.realizedPnL { try c.field(&realizedPnL, unset: .sentinel) }
        try c.field(&value, unset: .sentinel)
    }
}
