// TWS → client historical bars: the answer to reqHistoricalData and reqHeadTimestamp.

/// One bar, in the order historicalData (17) lays it out. historicalDataUpdate (90) orders the same fields
/// differently, so each message lays a bar out itself.
public struct HistoricalBar: Equatable, Sendable {
    /// As TWS sends it: `yyyyMMdd HH:mm:ss` with a zone (`20260406 09:30:00 US/Eastern`), `yyyyMMdd` for daily
    /// bars, or Unix seconds when the request asked formatDate 2.
    public var time = ""
    public var open = 0.0
    public var high = 0.0
    public var low = 0.0
    public var close = 0.0
    /// A decimal (fractional for crypto); -1 where the data type has no volume (MIDPOINT, BID, ASK). Nil when empty.
    public var volume: Double? = nil
    /// The volume-weighted average price, a decimal; -1 where unknown. Nil when empty.
    public var wap: Double? = nil
    /// Trades in the bar; -1 where unknown.
    public var barCount = 0
    public init() {}
    public init(
        time: String, open: Double, high: Double, low: Double, close: Double, volume: Double?, wap: Double?,
        barCount: Int
    ) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.wap = wap
        self.barCount = barCount
    }
}

/// historicalData (17): every bar of a request at once. Below server version 196 the request's start and end
/// dates come before the bars and this message is also the end; from 196 they come in historicalDataEnd (108).
public struct HistoricalData: TWSMessage {
    public static let id = 17
    public var requestID = 0
    /// Below version 196 only; empty from it.
    public var startDate = ""
    public var endDate = ""
    public var bars: [HistoricalBar] = []
    public init() {}
    public init(requestID: Int, startDate: String = "", endDate: String = "", bars: [HistoricalBar]) {
        self.requestID = requestID
        self.startDate = startDate
        self.endDate = endDate
        self.bars = bars
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID)
        if c.serverVersion < ServerVersion.historicalDataEnd { try c.field(&startDate); try c.field(&endDate) }
        try c.repeated(&bars, blank: HistoricalBar()) { c, bar in
            try c.field(&bar.time)
            try c.field(&bar.open); try c.field(&bar.high); try c.field(&bar.low); try c.field(&bar.close)
            try c.field(&bar.volume); try c.field(&bar.wap); try c.field(&bar.barCount)
        }
    }
}

/// historicalDataEnd (108): from server version 196, the end of a historicalData answer, with its dates.
public struct HistoricalDataEnd: TWSMessage {
    public static let id = 108
    public var requestID = 0
    public var startDate = ""
    public var endDate = ""
    public init() {}
    public init(requestID: Int, startDate: String, endDate: String) {
        self.requestID = requestID
        self.startDate = startDate
        self.endDate = endDate
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&startDate); try c.field(&endDate)
    }
}

/// historicalDataUpdate (90): the newest bar of a keepUpToDate request, again each time it changes.
/// Its fields run barCount, time, open, close, high, low, WAP, volume: not a historicalData bar's order.
public struct HistoricalDataUpdate: TWSMessage {
    public static let id = 90
    public var requestID = 0
    public var bar = HistoricalBar()
    public init() {}
    public init(requestID: Int, bar: HistoricalBar) {
        self.requestID = requestID
        self.bar = bar
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID)
        try c.field(&bar.barCount); try c.field(&bar.time)
        try c.field(&bar.open); try c.field(&bar.close); try c.field(&bar.high); try c.field(&bar.low)
        try c.field(&bar.wap); try c.field(&bar.volume)
    }
}

/// headTimestamp (88): the earliest data point for reqHeadTimestamp, in the format the request asked.
public struct HeadTimestamp: TWSMessage {
    public static let id = 88
    public var requestID = 0
    public var timestamp = ""
    public init() {}
    public init(requestID: Int, timestamp: String) {
        self.requestID = requestID
        self.timestamp = timestamp
    }
    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&requestID); try c.field(&timestamp)
    }
}
