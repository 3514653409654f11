import TickhubCore

/// An account's balances: `GET /accounts/{n}/balances` (`data`), and the account streamer's `AccountBalance`
/// notification (the same object). Every figure is optional: one TastyTrade did not send is unknown, not zero.
public struct TastyBalance: Equatable, Sendable {
    public var accountNumber: String
    /// ISO code; TastyTrade's accounts are in USD.
    public var currency: String?
    public var cashBalance: Double?
    public var netLiquidatingValue: Double?
    public var marginEquity: Double?
    public var equityBuyingPower: Double?
    public var derivativeBuyingPower: Double?
    public var dayTradingBuyingPower: Double?
    public var maintenanceRequirement: Double?
    public var longEquityValue: Double?
    public var shortEquityValue: Double?
    public var longDerivativeValue: Double?
    public var shortDerivativeValue: Double?
    public var pendingCash: Double?
    public var updatedAt: String?

    public init(accountNumber: String, currency: String? = "USD") {
        self.accountNumber = accountNumber
        self.currency = currency
    }

    /// The figures by TastyTrade's key, read and written the same way.
    static var figures: [(key: String, path: WritableKeyPath<TastyBalance, Double?>)] { [
        ("cash-balance", \.cashBalance), ("net-liquidating-value", \.netLiquidatingValue), ("margin-equity", \.marginEquity),
        ("equity-buying-power", \.equityBuyingPower), ("derivative-buying-power", \.derivativeBuyingPower),
        ("day-trading-buying-power", \.dayTradingBuyingPower), ("maintenance-requirement", \.maintenanceRequirement),
        ("long-equity-value", \.longEquityValue), ("short-equity-value", \.shortEquityValue),
        ("long-derivative-value", \.longDerivativeValue), ("short-derivative-value", \.shortDerivativeValue),
        ("pending-cash", \.pendingCash),
    ] }

    /// The answer of `GET /accounts/{n}/balances`.
    public init(json: [UInt8]) throws(TastyTradeFormatError) {
        let data = try TastyJSON.data(TastyJSON.parse(json, what: "balances"), what: "balances")
        try self.init(object: .object(data))
    }

    /// One balances object. A figure TastyTrade wrote but that is no decimal is an error, not a missing figure: a
    /// garbled net liquidation shown as unknown would hide that the answer was wrong.
    public init(object: JSONValue) throws(TastyTradeFormatError) {
        guard let item = object.object else { throw TastyTradeFormatError("balances: expected an object, got \(TastyJSON.kind(object))") }
        guard let account = TastyJSON.text(item["account-number"]) else { throw TastyTradeFormatError("balances: no \"account-number\"") }
        self.init(accountNumber: account, currency: TastyJSON.text(item["currency"]) ?? "USD")
        for (key, path) in Self.figures {
            guard let written = item[key], written != .null else { continue }
            guard let value = TastyJSON.signed(item, key) else {
                throw TastyTradeFormatError("balances \(account): \"\(key)\" is not a decimal (\(TastyPosition.shown(written)))")
            }
            self[keyPath: path] = value
        }
        updatedAt = TastyJSON.text(item["updated-at"])
    }

    /// The `data` object as TastyTrade writes it.
    public var objectJSON: String {
        var parts = ["\"account-number\":\(TastyJSON.quoted(accountNumber))"]
        for (key, path) in Self.figures {
            guard let value = self[keyPath: path] else { continue }
            parts.append(value < 0 ? TastyJSON.signedPair(key, value) : "\(TastyJSON.quoted(key)):\(TastyJSON.decimalString(value))")
        }
        if let currency { parts.append("\"currency\":\(TastyJSON.quoted(currency))") }
        if let updatedAt { parts.append("\"updated-at\":\(TastyJSON.quoted(updatedAt))") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// `{"data":{…}}`, the balances answer.
    public var json: [UInt8] {
        Array("{\"data\":\(objectJSON),\"context\":\(TastyJSON.quoted("/accounts/\(accountNumber)/balances"))}".utf8)
    }
}
