/// tickOptionComputation (21): an option's implied volatility and greeks, as computed from one price (tick type 10
/// bid, 11 ask, 12 last, 13 TWS's model; 80–83 delayed).
///
/// Before server version 156 the message carries a version field (6) and no tickAttrib; from 156 it has no version
/// field and tickAttrib follows the tick type. TWS writes "not computed" as -1 (implied volatility, option price,
/// PV dividend, underlying price) or -2 (delta, gamma, vega, theta): those read as nil, and nil is written as them.
public struct TickOptionComputation: TWSMessage {
    public static let id = 21
    public var requestID = 0
    public var tickType = 0
    /// 0 return-based, 1 price-based (from server version 156).
    public var tickAttrib = 0
    /// Annualized, a fraction (0.25 is 25 %).
    public var impliedVolatility: Double? = nil
    public var delta: Double? = nil
    /// The option price the computation refers to.
    public var optionPrice: Double? = nil
    /// Present value of the dividends expected before expiry.
    public var pvDividend: Double? = nil
    public var gamma: Double? = nil
    /// Per point (0.01) of volatility.
    public var vega: Double? = nil
    /// Per calendar day.
    public var theta: Double? = nil
    public var underlyingPrice: Double? = nil

    public init() {}
    public init(
        requestID: Int, tickType: Int, tickAttrib: Int = 0, impliedVolatility: Double?, delta: Double?,
        optionPrice: Double?, pvDividend: Double?, gamma: Double?, vega: Double?, theta: Double?,
        underlyingPrice: Double?
    ) {
        self.requestID = requestID
        self.tickType = tickType
        self.tickAttrib = tickAttrib
        self.impliedVolatility = impliedVolatility
        self.delta = delta
        self.optionPrice = optionPrice
        self.pvDividend = pvDividend
        self.gamma = gamma
        self.vega = vega
        self.theta = theta
        self.underlyingPrice = underlyingPrice
    }

    /// TWS's "not computed" markers.
    static let notComputedPrice = -1.0
    static let notComputedGreek = -2.0

    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        let priceBased = c.serverVersion >= ServerVersion.priceBasedVolatility
        if !priceBased { try c.version(6) }
        try c.field(&requestID); try c.field(&tickType)
        if priceBased { try c.field(&tickAttrib) }
        try Self.field(&impliedVolatility, notComputed: Self.notComputedPrice, &c)
        try Self.field(&delta, notComputed: Self.notComputedGreek, &c)
        try Self.field(&optionPrice, notComputed: Self.notComputedPrice, &c)
        try Self.field(&pvDividend, notComputed: Self.notComputedPrice, &c)
        try Self.field(&gamma, notComputed: Self.notComputedGreek, &c)
        try Self.field(&vega, notComputed: Self.notComputedGreek, &c)
        try Self.field(&theta, notComputed: Self.notComputedGreek, &c)
        try Self.field(&underlyingPrice, notComputed: Self.notComputedPrice, &c)
    }

    /// A value whose absence travels as a marker, never as an empty field (clients parse every one as a float).
    private static func field<C: WireCoder>(_ value: inout Double?, notComputed marker: Double, _ c: inout C) throws {
        var wire: Double? = value ?? marker
        try c.field(&wire)
        if c.isDecoding { value = wire == marker || wire?.isNaN == true ? nil : wire }
    }
}
