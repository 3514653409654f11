// TWS → client market-data messages.

/// tickPrice (1): 7 fields. The size travels with bid, ask and last prices.
public struct TickPrice: TWSMessage {
    public static let id = 1
    public var requestID = 0
    public var tickType = 0
    /// -1 means "no data" (market closed), never a price.
    public var price = 0.0
    public var size: Double? = nil
    /// Bit 1 canAutoExecute, bit 2 pastLimit, bit 4 preOpen.
    public var attributes = 0
    public init() {}
    public init(requestID: Int, tickType: Int, price: Double, size: Double?, attributes: Int = 0) {
        self.requestID = requestID
        self.tickType = tickType
        self.price = price
        self.size = size
        self.attributes = attributes
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(6)
        try c.field(&requestID); try c.field(&tickType); try c.field(&price); try c.field(&size)
        try c.field(&attributes)
    }
}

/// tickSize (2).
public struct TickSize: TWSMessage {
    public static let id = 2
    public var requestID = 0
    public var tickType = 0
    /// Decimal since server version 163 (fractional crypto sizes).
    public var size: Double? = nil
    public init() {}
    public init(requestID: Int, tickType: Int, size: Double?) {
        self.requestID = requestID
        self.tickType = tickType
        self.size = size
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(6)
        try c.field(&requestID); try c.field(&tickType); try c.field(&size)
    }
}

/// tickString (46): timestamps (45/88, Unix seconds), RTVolume (48/77), exchanges.
public struct TickString: TWSMessage {
    public static let id = 46
    public var requestID = 0
    public var tickType = 0
    public var value = ""
    public init() {}
    public init(requestID: Int, tickType: Int, value: String) {
        self.requestID = requestID
        self.tickType = tickType
        self.value = value
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(6)
        try c.field(&requestID); try c.field(&tickType); try c.field(&value)
    }
}

/// tickGeneric (45): halted, shortable, volatility, trade rates.
public struct TickGeneric: TWSMessage {
    public static let id = 45
    public var requestID = 0
    public var tickType = 0
    public var value = 0.0
    public init() {}
    public init(requestID: Int, tickType: Int, value: Double) {
        self.requestID = requestID
        self.tickType = tickType
        self.value = value
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(6)
        try c.field(&requestID); try c.field(&tickType); try c.field(&value)
    }
}

/// tickReqParams (81): the first reply to reqMktData. No version field.
public struct TickRequestParameters: TWSMessage {
    public static let id = 81
    public var requestID = 0
    public var minTick = 0.0
    public var bboExchange = ""
    public var snapshotPermissions = 0
    public init() {}
    public init(requestID: Int, minTick: Double, bboExchange: String, snapshotPermissions: Int) {
        self.requestID = requestID
        self.minTick = minTick
        self.bboExchange = bboExchange
        self.snapshotPermissions = snapshotPermissions
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&minTick); try c.field(&bboExchange); try c.field(&snapshotPermissions)
    }
}

/// marketDataType (58): which data type a ticker actually gets (TWS sends it even for live data).
public struct MarketDataType: TWSMessage {
    public static let id = 58
    public var requestID = 0
    public var marketDataType = 1
    public init() {}
    public init(requestID: Int, marketDataType: Int) {
        self.requestID = requestID
        self.marketDataType = marketDataType
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.version(1)
        try c.field(&requestID); try c.field(&marketDataType)
    }
}

/// tickSnapshotEnd (57).
public struct TickSnapshotEnd: RequestIDMessage {
    public static let id = 57
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}
