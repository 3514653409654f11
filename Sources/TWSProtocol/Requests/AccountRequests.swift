// Client → TWS requests for positions, account values and P&L.

/// reqPositions (61): all positions of all accounts, then positionEnd.
public struct RequestPositions: EmptyMessage {
    public static let id = 61
    public static let version: Int? = 1
    public init() {}
}

/// cancelPositions (64).
public struct CancelPositions: EmptyMessage {
    public static let id = 64
    public static let version: Int? = 1
    public init() {}
}

/// reqAccountSummary (62): at most two may be active at once.
public struct RequestAccountSummary: TWSMessage {
    public static let id = 62
    public var requestID = 0
    public var group = "All"
    /// Comma-separated tags, e.g. `NetLiquidation,BuyingPower,$LEDGER:USD`.
    public var tags = ""
    public init() {}
    public init(requestID: Int, group: String = "All", tags: String) {
        self.requestID = requestID
        self.group = group
        self.tags = tags
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&requestID); try c.field(&group); try c.field(&tags)
    }
}

/// cancelAccountSummary (63).
public struct CancelAccountSummary: RequestIDMessage {
    public static let id = 63
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}

/// reqAccountUpdates (6): one account at a time; a new subscription replaces the old.
public struct RequestAccountUpdates: TWSMessage {
    public static let id = 6
    public var subscribe = true
    public var account = ""
    public init() {}
    public init(subscribe: Bool, account: String) {
        self.subscribe = subscribe
        self.account = account
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(2)
        try c.field(&subscribe); try c.field(&account)
    }
}

/// reqAccountUpdatesMulti (76): part of ib_async's connect, one per account.
public struct RequestAccountUpdatesMulti: TWSMessage {
    public static let id = 76
    public var requestID = 0
    public var account = ""
    public var modelCode = ""
    public var ledgerAndNLV = false
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&requestID); try c.field(&account); try c.field(&modelCode); try c.field(&ledgerAndNLV)
    }
}

/// reqPnL (92): account-level daily, unrealized and realized P&L. No version field.
public struct RequestPnL: TWSMessage {
    public static let id = 92
    public var requestID = 0
    public var account = ""
    public var modelCode = ""
    public init() {}
    public init(requestID: Int, account: String, modelCode: String = "") {
        self.requestID = requestID
        self.account = account
        self.modelCode = modelCode
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&account); try c.field(&modelCode)
    }
}

/// cancelPnL (93).
public struct CancelPnL: RequestIDMessage {
    public static let id = 93
    public static let version: Int? = nil
    public var requestID = 0
    public init() {}
}

/// reqPnLSingle (94): one position's P&L, about once a second. An unknown conId gets no reply at all.
public struct RequestPnLSingle: TWSMessage {
    public static let id = 94
    public var requestID = 0
    public var account = ""
    public var modelCode = ""
    public var conId = 0
    public init() {}
    public init(requestID: Int, account: String, modelCode: String = "", conId: Int) {
        self.requestID = requestID
        self.account = account
        self.modelCode = modelCode
        self.conId = conId
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&account); try c.field(&modelCode); try c.field(&conId)
    }
}

/// cancelPnLSingle (95).
public struct CancelPnLSingle: RequestIDMessage {
    public static let id = 95
    public static let version: Int? = nil
    public var requestID = 0
    public init() {}
}
