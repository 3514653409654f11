// Client → TWS market-data requests.

/// reqMktData (1): 20 fields for a plain stock at server version 176.
public struct RequestMarketData: TWSMessage {
    public static let id = 1
    public var requestID = 0
    public var contract = Contract()
    public var deltaNeutral: DeltaNeutralContract? = nil
    /// Comma-separated generic tick ids, e.g. `233,236`; a leading `mdoff,` turns off top-of-book ticks.
    public var genericTickList = ""
    public var snapshot = false
    public var regulatorySnapshot = false
    public var options = ""
    public init() {}
    public init(requestID: Int, contract: Contract, genericTickList: String = "", snapshot: Bool = false) {
        self.requestID = requestID
        self.contract = contract
        self.genericTickList = genericTickList
        self.snapshot = snapshot
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(11)
        try c.field(&requestID)
        try contract.layout(&c, exchanges: .routingAndPrimary)
        try contract.layoutComboLegs(&c)
        var hasDeltaNeutral = deltaNeutral != nil
        try c.field(&hasDeltaNeutral)
        if hasDeltaNeutral {
            var dn = deltaNeutral ?? DeltaNeutralContract()
            try c.field(&dn.conId); try c.field(&dn.delta); try c.field(&dn.price)
            deltaNeutral = dn
        }
        try c.field(&genericTickList)
        try c.field(&snapshot)
        if c.serverVersion >= ServerVersion.smartComponents { try c.field(&regulatorySnapshot) }
        if c.serverVersion >= ServerVersion.linking { try c.field(&options) }
    }
}

public struct DeltaNeutralContract: Equatable, Sendable {
    public var conId = 0
    public var delta = 0.0
    public var price = 0.0
    public init() {}
}

/// cancelMktData (2).
public struct CancelMarketData: RequestIDMessage {
    public static let id = 2
    public static let version: Int? = 2
    public var requestID = 0
    public init() {}
}

/// reqMarketDataType (59): 1 live, 2 frozen, 3 delayed, 4 delayed-frozen; applies to later reqMktData.
public struct RequestMarketDataType: TWSMessage {
    public static let id = 59
    public var marketDataType = 1
    public init() {}
    public init(_ type: Int) { self.marketDataType = type }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&marketDataType)
    }
}

/// reqContractDetails (9): 19 fields at server version 176.
public struct RequestContractDetails: TWSMessage {
    public static let id = 9
    public var requestID = 0
    public var contract = Contract()
    public var includeExpired = false
    public var secIDType = ""
    public var secID = ""
    public var issuerID = ""
    public init() {}
    public init(requestID: Int, contract: Contract) {
        self.requestID = requestID
        self.contract = contract
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(8)
        try c.field(&requestID)
        try contract.layout(&c, exchanges: .routingAndPrimary)
        try c.field(&includeExpired); try c.field(&secIDType); try c.field(&secID)
        if c.serverVersion >= ServerVersion.bondIssuerID { try c.field(&issuerID) }
    }
}
