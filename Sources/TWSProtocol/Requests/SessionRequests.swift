// Client → TWS requests that open and tend the session. Layouts at the versions in ServerVersion.

/// startApi (71): sent right after the server hello.
public struct StartAPI: TWSMessage {
    public static let id = 71
    public var clientID = 0
    public var optionalCapabilities = ""
    public init() {}
    public init(clientID: Int, optionalCapabilities: String = "") {
        self.clientID = clientID
        self.optionalCapabilities = optionalCapabilities
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(2)
        try c.field(&clientID)
        if c.serverVersion >= ServerVersion.optionalCapabilities { try c.field(&optionalCapabilities) }
    }
}

/// reqIds (8): answered by a fresh nextValidId.
public struct RequestIDs: TWSMessage {
    public static let id = 8
    public var count = 1
    public init() {}
    public init(count: Int) { self.count = count }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&count)
    }
}

/// reqCurrentTime (49).
public struct RequestCurrentTime: EmptyMessage {
    public static let id = 49
    public static let version: Int? = 1
    public init() {}
}

/// reqManagedAccts (17): answered by managedAccounts.
public struct RequestManagedAccounts: EmptyMessage {
    public static let id = 17
    public static let version: Int? = 1
    public init() {}
}

/// reqOpenOrders (5): answered by openOrder frames, then openOrderEnd. Part of ib_async's connect.
public struct RequestOpenOrders: EmptyMessage {
    public static let id = 5
    public static let version: Int? = 1
    public init() {}
}

/// reqAllOpenOrders (16).
public struct RequestAllOpenOrders: EmptyMessage {
    public static let id = 16
    public static let version: Int? = 1
    public init() {}
}

/// reqAutoOpenOrders (15): clientId 0 only.
public struct RequestAutoOpenOrders: TWSMessage {
    public static let id = 15
    public var autoBind = false
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&autoBind)
    }
}

/// reqCompletedOrders (99): no version field; answered by completedOrder frames, then a bare completedOrdersEnd.
public struct RequestCompletedOrders: TWSMessage {
    public static let id = 99
    public var apiOnly = false
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws { try c.field(&apiOnly) }
}

/// reqExecutions (7): answered by execDetails frames, then execDetailsEnd.
public struct RequestExecutions: TWSMessage {
    public static let id = 7
    public var requestID = 0
    public var clientID = 0
    public var account = ""
    public var time = ""
    public var symbol = ""
    public var secType = ""
    public var exchange = ""
    public var side = ""
    public init() {}
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(3)
        try c.field(&requestID); try c.field(&clientID); try c.field(&account); try c.field(&time)
        try c.field(&symbol); try c.field(&secType); try c.field(&exchange); try c.field(&side)
    }
}
