// Client → TWS requests for historical bars and the earliest data point. No version field at this codec's
// versions: TWS stopped reading one at 124 (SYNT_REALTIME_BARS).

/// reqHistoricalData (20): 22 fields for a plain stock. Answered by historicalData, then (with keepUpToDate)
/// historicalDataUpdate until cancelHistoricalData.
public struct RequestHistoricalData: TWSMessage {
    public static let id = 20
    public var requestID = 0
    public var contract = Contract()
    public var includeExpired = false
    /// `yyyyMMdd HH:mm:ss` with an optional zone (`20260406 16:00:00 US/Eastern`), or empty for now.
    public var endDateTime = ""
    /// `1 min`, `5 mins`, `1 hour`, `1 day`, ...
    public var barSize = ""
    /// `1 D`, `2 W`, `6 M`, `1 Y`, or seconds as `3600 S`.
    public var duration = ""
    /// Regular trading hours only.
    public var useRTH = true
    /// TRADES, MIDPOINT, BID, ASK, BID_ASK, ADJUSTED_LAST, HISTORICAL_VOLATILITY, ...
    public var whatToShow = ""
    /// 1: bar times as `yyyyMMdd HH:mm:ss` (with a zone), 2: Unix seconds.
    public var formatDate = 1
    /// Keep the last bar updating (historicalDataUpdate); endDateTime must then be empty.
    public var keepUpToDate = false
    /// `tag=value;` pairs, as ib_async writes its TagValue list; TWS defines none yet.
    public var chartOptions = ""
    public init() {}
    public init(
        requestID: Int, contract: Contract, endDateTime: String = "", duration: String, barSize: String,
        whatToShow: String, useRTH: Bool = true, formatDate: Int = 1, keepUpToDate: Bool = false
    ) {
        self.requestID = requestID
        self.contract = contract
        self.endDateTime = endDateTime
        self.duration = duration
        self.barSize = barSize
        self.whatToShow = whatToShow
        self.useRTH = useRTH
        self.formatDate = formatDate
        self.keepUpToDate = keepUpToDate
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID)
        try contract.layout(&c, exchanges: .routingAndPrimary)
        try c.field(&includeExpired)
        // The bar size comes before the duration here, unlike in the official client's argument list.
        try c.field(&endDateTime); try c.field(&barSize); try c.field(&duration)
        try c.field(&useRTH); try c.field(&whatToShow); try c.field(&formatDate)
        try contract.layoutComboLegs(&c)
        try c.field(&keepUpToDate)
        if c.serverVersion >= ServerVersion.linking { try c.field(&chartOptions) }
    }
}

/// cancelHistoricalData (25): ends a keepUpToDate subscription (or a request still running).
public struct CancelHistoricalData: RequestIDMessage {
    public static let id = 25
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}

/// reqHeadTimestamp (87): the time of the earliest bar TWS has for the contract; answered by headTimestamp.
public struct RequestHeadTimestamp: TWSMessage {
    public static let id = 87
    public var requestID = 0
    public var contract = Contract()
    public var includeExpired = false
    public var useRTH = true
    public var whatToShow = ""
    /// 1: a date-time string, 2: Unix seconds.
    public var formatDate = 1
    public init() {}
    public init(requestID: Int, contract: Contract, whatToShow: String, useRTH: Bool = true, formatDate: Int = 1) {
        self.requestID = requestID
        self.contract = contract
        self.whatToShow = whatToShow
        self.useRTH = useRTH
        self.formatDate = formatDate
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID)
        try contract.layout(&c, exchanges: .routingAndPrimary)
        try c.field(&includeExpired); try c.field(&useRTH); try c.field(&whatToShow); try c.field(&formatDate)
    }
}

/// cancelHeadTimestamp (90). No version field.
public struct CancelHeadTimestamp: RequestIDMessage {
    public static let id = 90
    public static let version: Int? = nil
    public var requestID = 0
    public init() {}
}
