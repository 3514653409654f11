/// contractDetails (10): a qualified contract and its trading facts.
///
/// From version 164 it has no version field; before it, a version field and an mdSizeMultiplier after minTick.
/// From 182 a lastTradeDate follows lastTradeDateOrContractMonth; from 186 it ends with ineligibility reasons.
/// Fund fields (179+, secType FUND) are not modelled: this client advertises at most 178.
public struct ContractDetails: TWSMessage {
    public static let id = 10
    public var requestID = 0
    public var contract = Contract()
    public var lastTradeDate = ""
    public var marketName = ""
    public var minTick = 0.0
    public var mdSizeMultiplier = 1
    public var orderTypes = ""
    public var validExchanges = ""
    public var priceMagnifier = 1
    public var underConId = 0
    public var longName = ""
    public var contractMonth = ""
    public var industry = ""
    public var category = ""
    public var subcategory = ""
    public var timeZoneID = ""
    public var tradingHours = ""
    public var liquidHours = ""
    public var evRule = ""
    public var evMultiplier: Double? = nil
    public var secIDs: [TagValue] = []
    public var aggGroup = 0
    public var underSymbol = ""
    public var underSecType = ""
    public var marketRuleIDs = ""
    public var realExpirationDate = ""
    public var stockType = ""
    public var minSize = ""
    public var sizeIncrement = ""
    public var suggestedSizeIncrement = ""
    public var ineligibilityReasons: [TagValue] = []

    public init() {}

    public mutating func layout<C: WireCoder>(_ c: inout C) throws {
        let v = c.serverVersion
        if v < ServerVersion.sizeRules { try c.version(8) }
        try c.field(&requestID)
        try c.field(&contract.symbol); try c.field(&contract.secType)
        try c.field(&contract.lastTradeDateOrContractMonth)
        if v >= ServerVersion.lastTradeDate { try c.field(&lastTradeDate) }
        try c.field(&contract.strike); try c.field(&contract.right); try c.field(&contract.exchange)
        try c.field(&contract.currency); try c.field(&contract.localSymbol); try c.field(&marketName)
        try c.field(&contract.tradingClass); try c.field(&contract.conId); try c.field(&minTick)
        if v < ServerVersion.sizeRules { try c.field(&mdSizeMultiplier) }
        try c.field(&contract.multiplier); try c.field(&orderTypes); try c.field(&validExchanges)
        try c.field(&priceMagnifier); try c.field(&underConId); try c.field(&longName)
        try c.field(&contract.primaryExchange); try c.field(&contractMonth); try c.field(&industry)
        try c.field(&category); try c.field(&subcategory); try c.field(&timeZoneID); try c.field(&tradingHours)
        try c.field(&liquidHours); try c.field(&evRule); try c.field(&evMultiplier)
        try c.repeated(&secIDs, blank: TagValue()) { c, tv in try tv.layout(&c) }
        try c.field(&aggGroup); try c.field(&underSymbol); try c.field(&underSecType); try c.field(&marketRuleIDs)
        try c.field(&realExpirationDate); try c.field(&stockType)
        if v == ServerVersion.sizeRules - 1 { try c.field(&suggestedSizeIncrement) }
        if v >= ServerVersion.sizeRules {
            try c.field(&minSize); try c.field(&sizeIncrement); try c.field(&suggestedSizeIncrement)
        }
        if v >= ServerVersion.ineligibilityReasons {
            try c.repeated(&ineligibilityReasons, blank: TagValue()) { c, tv in try tv.layout(&c) }
        }
    }
}

public struct TagValue: Equatable, Sendable {
    public var tag = ""
    public var value = ""
    public init() {}
    public init(_ tag: String, _ value: String) {
        self.tag = tag
        self.value = value
    }
    mutating func layout<C: WireCoder>(_ c: inout C) throws {
        try c.field(&tag); try c.field(&value)
    }
}

/// contractDetailsEnd (52).
public struct ContractDetailsEnd: RequestIDMessage {
    public static let id = 52
    public static let version: Int? = 1
    public var requestID = 0
    public init() {}
}
