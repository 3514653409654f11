import HubProtocol
import TickhubCore

/// One broker's holdings as the leading ingest relays them on `portfolio.holdings`: edges value P&L themselves from
/// them and the quotes, so each holding travels whole (its instrument's every term, the cost as the broker gave
/// it), under the API's names where it has them (`secType`, `avgCost`, `brokerUnrealizedPnl`, `brokerMarketPrice`,
/// `brokerClosePrice`); the positions the hub cannot value travel beside them under `unvalued`, with their reason.
public struct HoldingsMessage: Equatable, Sendable {
    public var broker: String
    public var holdings: [Holding]
    public var unvalued: [UnvaluedHolding]

    public init(broker: String, _ holdings: [Holding], unvalued: [UnvaluedHolding] = []) {
        self.broker = broker
        self.holdings = holdings
        self.unvalued = unvalued
    }

    public var json: [UInt8] {
        var w = JSONWriter(capacity: 64 + holdings.count * 300)
        w.beginObject()
        w.field("broker", broker)
        w.key("holdings")
        w.beginArray()
        for h in holdings {
            w.beginObject()
            w.field("account", h.account)
            w.key("instrument")
            Self.write(h.instrument, into: &w)
            w.field("quantity", h.quantity)
            w.field("avgCost", h.averageCost)
            w.field("multiplier", h.multiplier)
            w.field("currency", h.currency)
            w.field("costIncludesMultiplier", h.costIncludesMultiplier)
            w.field("brokerUnrealizedPnl", h.brokerUnrealizedPnL)
            w.field("brokerMarketPrice", h.brokerMarketPrice)
            w.field("brokerClosePrice", h.brokerClosePrice)
            w.endObject()
        }
        w.endArray()
        w.key("unvalued")
        w.beginArray()
        for u in unvalued {
            w.beginObject()
            w.field("account", u.account)
            w.field("symbol", u.symbol)
            w.field("secType", u.secType)
            w.field("quantity", u.quantity)
            w.field("multiplier", u.multiplier)
            w.field("avgCost", u.averageCost)
            w.field("currency", u.currency)
            w.field("reason", u.reason)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    public init(json bytes: [UInt8]) throws(RelayMessageError) {
        let f = try RelayFields(bytes, message: "holdings")
        broker = try f.string("broker")
        var holdings: [Holding] = []
        for element in try f.array("holdings") {
            let h = try RelayFields(element, message: "holding")
            guard let terms = try h.object("instrument", message: "instrument") else { throw h.refuse("instrument", "an object") }
            holdings.append(Holding(
                broker: broker, account: try h.string("account"), instrument: try Self.instrument(terms),
                quantity: try h.number("quantity"), averageCost: try h.number("avgCost"), multiplier: try h.number("multiplier"),
                currency: try h.string("currency"), costIncludesMultiplier: try h.flag("costIncludesMultiplier"),
                brokerUnrealizedPnL: try h.optionalNumber("brokerUnrealizedPnl"), brokerMarketPrice: try h.optionalNumber("brokerMarketPrice"),
                brokerClosePrice: try h.optionalNumber("brokerClosePrice")))
        }
        self.holdings = holdings
        // An ingest of the release before sends none.
        var unvalued: [UnvaluedHolding] = []
        for element in try (f.members["unvalued"] == nil ? [] : f.array("unvalued")) {
            let u = try RelayFields(element, message: "unvalued holding")
            unvalued.append(UnvaluedHolding(
                broker: broker, account: try u.string("account"), symbol: try u.string("symbol"), secType: try u.string("secType"),
                quantity: try u.number("quantity"), multiplier: try u.number("multiplier"), averageCost: try u.optionalNumber("avgCost"),
                currency: try u.string("currency"), reason: try u.string("reason")))
        }
        self.unvalued = unvalued
    }

    static func write(_ instrument: Instrument, into w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", instrument.symbol)
        w.field("secType", instrument.securityType.rawValue)
        w.field("root", instrument.root)
        w.field("currency", instrument.currency)
        w.field("exchange", instrument.exchange)
        w.field("multiplier", instrument.multiplier)
        if let option = instrument.option {
            w.key("option")
            w.beginObject()
            w.field("underlying", option.underlying)
            w.field("expiry", option.expiry)
            w.field("right", option.right.rawValue)
            w.field("strike", option.strike)
            w.endObject()
        }
        w.endObject()
    }

    static func instrument(_ f: RelayFields) throws(RelayMessageError) -> Instrument {
        let typeName = try f.string("secType")
        guard let type = SecurityType(rawValue: typeName) else { throw f.refuse("secType", "a kind the hub knows, not \(typeName)") }
        var terms: OptionTerms?
        if let o = try f.object("option", message: "option") {
            let rightName = try o.string("right")
            guard let right = OptionTerms.Right(rawValue: rightName) else { throw o.refuse("right", "C or P") }
            terms = OptionTerms(underlying: try o.string("underlying"), expiry: try o.string("expiry"), right: right, strike: try o.number("strike"))
        }
        return Instrument(symbol: try f.string("symbol"), securityType: type, root: try f.string("root"), currency: try f.string("currency"),
                          exchange: try f.string("exchange"), multiplier: try f.number("multiplier"), option: terms)
    }
}
