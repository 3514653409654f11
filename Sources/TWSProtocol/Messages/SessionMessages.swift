// TWS → client session messages and the end markers a client's startup waits for.

/// nextValidId (9): the first order (and request) id this session may use.
public struct NextValidID: TWSMessage {
    public static let id = 9
    public var orderID = 0
    public init() {}
    public init(orderID: Int) { self.orderID = orderID }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&orderID)
    }
}

/// managedAccounts (15): a comma-separated account list.
public struct ManagedAccounts: TWSMessage {
    public static let id = 15
    public var accountsList = ""
    public init() {}
    public init(accounts: [String]) { self.accountsList = accounts.joined(separator: ",") }
    public var accounts: [String] {
        accountsList.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&accountsList)
    }
}

/// currentTime (49): Unix seconds.
public struct CurrentTime: TWSMessage {
    public static let id = 49
    public var time = 0
    public init() {}
    public init(time: Int) { self.time = time }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&time)
    }
}

/// openOrderEnd (53).
public struct OpenOrderEnd: EmptyMessage {
    public static let id = 53
    public static let version: Int? = 1
    public init() {}
}

/// completedOrdersEnd (102): the id alone.
public struct CompletedOrdersEnd: EmptyMessage {
    public static let id = 102
    public static let version: Int? = nil
    public init() {}
}

/// execDetailsEnd (55).
public struct ExecutionDetailsEnd: RequestIDMessage {
    public static let id = 55
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}
