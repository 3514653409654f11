/// An IBKR contract as the socket protocol carries it.
public struct Contract: Equatable, Hashable, Sendable {
    public var conId = 0
    public var symbol = ""
    /// STK, OPT, FUT, CASH, CRYPTO, IND, BAG, ...
    public var secType = ""
    public var lastTradeDateOrContractMonth = ""
    public var strike = 0.0
    /// P or C for options; real TWS sends `0` for stocks in portfolio updates.
    public var right = ""
    public var multiplier = ""
    public var exchange = ""
    public var primaryExchange = ""
    public var currency = ""
    public var localSymbol = ""
    public var tradingClass = ""
    /// Legs of a BAG (combo) contract.
    public var comboLegs: [ComboLeg] = []

    public init() {}

    public init(
        conId: Int = 0, symbol: String, secType: String, lastTradeDateOrContractMonth: String = "",
        strike: Double = 0, right: String = "", multiplier: String = "", exchange: String = "",
        primaryExchange: String = "", currency: String = "", localSymbol: String = "", tradingClass: String = ""
    ) {
        self.conId = conId
        self.symbol = symbol
        self.secType = secType
        self.lastTradeDateOrContractMonth = lastTradeDateOrContractMonth
        self.strike = strike
        self.right = right
        self.multiplier = multiplier
        self.exchange = exchange
        self.primaryExchange = primaryExchange
        self.currency = currency
        self.localSymbol = localSymbol
        self.tradingClass = tradingClass
    }

    /// Which exchange fields a contract block carries: requests have both, position (61) only the routing
    /// exchange, and updatePortfolioValue (7) only the primary exchange in that same slot.
    enum ExchangeSlots {
        case routingAndPrimary
        case routing
        case primary
    }

    mutating func layout<Coder: WireCoder>(_ c: inout Coder, exchanges: ExchangeSlots) throws {
        try c.field(&conId); try c.field(&symbol); try c.field(&secType)
        try c.field(&lastTradeDateOrContractMonth); try c.field(&strike); try c.field(&right)
        try c.field(&multiplier)
        switch exchanges {
        case .routingAndPrimary: try c.field(&exchange); try c.field(&primaryExchange)
        case .routing: try c.field(&exchange)
        case .primary: try c.field(&primaryExchange)
        }
        try c.field(&currency); try c.field(&localSymbol); try c.field(&tradingClass)
    }

    /// A BAG's legs as requests carry them after their own fields (reqMktData, reqHistoricalData); other
    /// contracts send nothing here.
    mutating func layoutComboLegs<Coder: WireCoder>(_ c: inout Coder) throws {
        guard secType == "BAG" else { return }
        try c.repeated(&comboLegs, blank: ComboLeg()) { c, leg in
            try c.field(&leg.conId); try c.field(&leg.ratio); try c.field(&leg.action); try c.field(&leg.exchange)
        }
    }
}

public struct ComboLeg: Equatable, Hashable, Sendable {
    public var conId = 0
    public var ratio = 0
    public var action = ""
    public var exchange = ""
    public init() {}
}
