import TickhubCore

/// One position of `GET /accounts/{n}/positions`, and the `data` of the account streamer's `CurrentPosition`
/// notification (the same object).
///
/// TastyTrade writes the quantity as a magnitude with `quantity-direction` beside it; here it is signed (Short is
/// negative). Prices are per unit (per share, per coin, per option share); the multiplier turns them into money.
public struct TastyPosition: Equatable, Sendable {
    public var accountNumber: String
    /// The order symbol: `AAPL`, `SPY   230731C00393000`, `/ESU3`, `BTC/USD`.
    public var symbol: String
    /// nil for a type this vocabulary does not know; `instrumentTypeText` keeps what TastyTrade wrote.
    public var instrumentType: TastyInstrumentType?
    public var instrumentTypeText: String
    public var underlyingSymbol: String?
    /// Signed: Short is negative.
    public var quantity: Double
    /// "Long", "Short" or "Zero".
    public var quantityDirection: String
    public var averageOpenPrice: Double?
    /// The previous session's close.
    public var closePrice: Double?
    /// TastyTrade's mark per unit (`mark-price`, or `mark`), only with `include-marks=true`.
    public var mark: Double?
    public var multiplier: Double
    /// DXLink's symbol, when the position carries it (the OpenAPI lists `streamer-symbol`; examples omit it).
    public var streamerSymbol: String?
    /// "Debit", "Credit" or "None": how the position's cost went. It signs nothing: the direction does.
    public var costEffect: String?
    public var expiresAt: String?
    public var updatedAt: String?
    /// Signed by its `realized-day-gain-effect`.
    public var realizedDayGain: Double?

    public init(
        accountNumber: String, symbol: String, instrumentType: TastyInstrumentType?, instrumentTypeText: String? = nil,
        underlyingSymbol: String? = nil, quantity: Double, quantityDirection: String? = nil, averageOpenPrice: Double? = nil,
        closePrice: Double? = nil, mark: Double? = nil, multiplier: Double = 1, costEffect: String? = nil,
        expiresAt: String? = nil, updatedAt: String? = nil, realizedDayGain: Double? = nil
    ) {
        self.accountNumber = accountNumber
        self.symbol = symbol
        self.instrumentType = instrumentType
        self.instrumentTypeText = instrumentTypeText ?? instrumentType?.rawValue ?? ""
        self.underlyingSymbol = underlyingSymbol
        self.quantity = quantity
        self.quantityDirection = quantityDirection ?? (quantity < 0 ? "Short" : quantity > 0 ? "Long" : "Zero")
        self.averageOpenPrice = averageOpenPrice
        self.closePrice = closePrice
        self.mark = mark
        self.multiplier = multiplier
        self.costEffect = costEffect
        self.expiresAt = expiresAt
        self.updatedAt = updatedAt
        self.realizedDayGain = realizedDayGain
    }

    /// One position object. Refused, with the reason, when it lacks what sizing it needs: an account, a symbol, a
    /// quantity with a direction that agrees, a positive multiplier.
    public init(object: JSONValue) throws(TastyTradeFormatError) {
        guard let item = object.object else { throw TastyTradeFormatError("position: expected an object, got \(TastyJSON.kind(object))") }
        guard let symbol = TastyJSON.text(item["symbol"]) else { throw TastyTradeFormatError("position: no \"symbol\"") }
        guard let account = TastyJSON.text(item["account-number"]) else {
            throw TastyTradeFormatError("position \(symbol): no \"account-number\"")
        }
        guard let magnitude = TastyJSON.decimal(item["quantity"]) else {
            throw TastyTradeFormatError("position \(symbol): \"quantity\" is not a decimal (\(Self.shown(item["quantity"])))")
        }
        let direction = TastyJSON.text(item["quantity-direction"])
        let quantity: Double
        switch direction {
        case nil: quantity = magnitude
        case "Long"?:
            guard magnitude >= 0 else { throw TastyTradeFormatError("position \(symbol): direction Long with quantity \(magnitude)") }
            quantity = magnitude
        case "Short"?: quantity = -abs(magnitude)
        case "Zero"?:
            guard magnitude == 0 else { throw TastyTradeFormatError("position \(symbol): direction Zero with quantity \(magnitude)") }
            quantity = 0
        case let other?:
            throw TastyTradeFormatError("position \(symbol): unknown \"quantity-direction\" \(TastyJSON.quoted(other))")
        }
        let typeText = TastyJSON.text(item["instrument-type"]) ?? ""
        let type = TastyInstrumentType(rawValue: typeText)
        let multiplier: Double
        if let written = item["multiplier"], written != .null {
            guard let value = TastyJSON.decimal(written), value > 0 else {
                throw TastyTradeFormatError("position \(symbol): \"multiplier\" is not a positive number (\(Self.shown(written)))")
            }
            multiplier = value
        } else if type == .equity || type == .cryptocurrency {
            multiplier = 1
        } else {
            // A contract's size cannot be guessed: a wrong one scales every figure of the position.
            throw TastyTradeFormatError("position \(symbol): no \"multiplier\" for a \(typeText.isEmpty ? "position of unknown type" : typeText)")
        }
        self.init(
            accountNumber: account, symbol: symbol, instrumentType: type, instrumentTypeText: typeText,
            underlyingSymbol: TastyJSON.text(item["underlying-symbol"]), quantity: quantity,
            quantityDirection: direction ?? (quantity < 0 ? "Short" : quantity > 0 ? "Long" : "Zero"),
            averageOpenPrice: TastyJSON.decimal(item["average-open-price"]), closePrice: TastyJSON.decimal(item["close-price"]),
            mark: TastyJSON.decimal(item["mark-price"]) ?? TastyJSON.decimal(item["mark"]), multiplier: multiplier,
            costEffect: TastyJSON.text(item["cost-effect"]), expiresAt: TastyJSON.text(item["expires-at"]),
            updatedAt: TastyJSON.text(item["updated-at"]), realizedDayGain: TastyJSON.signed(item, "realized-day-gain"))
        streamerSymbol = TastyJSON.text(item["streamer-symbol"])
    }

    /// Every position of an answer. An item that cannot be read is not dropped silently: it is in `skipped` with why,
    /// so the broker can say so instead of showing a smaller portfolio as the whole.
    public static func list(json: [UInt8]) throws(TastyTradeFormatError) -> TastyPositionList {
        let items = try TastyJSON.items(TastyJSON.parse(json, what: "positions"), what: "positions")
        var list = TastyPositionList()
        for (index, item) in items.enumerated() {
            do {
                list.positions.append(try TastyPosition(object: item))
            } catch {
                list.skipped.append("data.items[\(index)]: \(error.message)")
            }
        }
        return list
    }

    /// The object as TastyTrade writes it (`mark` and `mark-price` only when known, as with `include-marks=true`).
    public var json: String {
        var text = "{\"account-number\":\(TastyJSON.quoted(accountNumber)),\"symbol\":\(TastyJSON.quoted(symbol)),"
            + "\"instrument-type\":\(TastyJSON.quoted(instrumentTypeText)),\"underlying-symbol\":\(TastyJSON.quoted(underlyingSymbol)),"
            + "\"quantity\":\(TastyJSON.decimalString(abs(quantity))),\"quantity-direction\":\(TastyJSON.quoted(quantityDirection)),"
            + "\"close-price\":\(TastyJSON.decimalString(closePrice)),\"average-open-price\":\(TastyJSON.decimalString(averageOpenPrice)),"
            + "\"multiplier\":\(TastyJSON.number(multiplier)),\"cost-effect\":\(TastyJSON.quoted(costEffect)),"
            + TastyJSON.signedPair("realized-day-gain", realizedDayGain) + ","
            + "\"expires-at\":\(TastyJSON.quoted(expiresAt)),\"updated-at\":\(TastyJSON.quoted(updatedAt))"
        if let streamerSymbol { text += ",\"streamer-symbol\":\(TastyJSON.quoted(streamerSymbol))" }
        if let mark {
            text += ",\"mark\":\(TastyJSON.decimalString(mark)),\"mark-price\":\(TastyJSON.decimalString(mark))"
        }
        return text + "}"
    }

    /// `{"data":{"items":[…]}}`, the positions answer.
    public static func listJSON(_ positions: [TastyPosition]) -> [UInt8] {
        Array("{\"data\":{\"items\":[\(positions.map(\.json).joined(separator: ","))]}}".utf8)
    }

    static func shown(_ value: JSONValue?) -> String {
        guard let value else { return "missing" }
        if case let .string(text) = value { return TastyJSON.quoted(String(text.prefix(40))) }
        return TastyJSON.kind(value)
    }
}

/// A positions answer read: the positions, and the items that could not be read with why.
public struct TastyPositionList: Equatable, Sendable {
    public var positions: [TastyPosition] = []
    public var skipped: [String] = []

    public init(positions: [TastyPosition] = [], skipped: [String] = []) {
        self.positions = positions
        self.skipped = skipped
    }
}
