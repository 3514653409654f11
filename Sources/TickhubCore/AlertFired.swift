/// One firing of an alert rule: the stream's `{"type":"alert","id","symbol","condition","level","price","time"}`
/// event, `type` aside.
public struct AlertFired: Sendable, Equatable, Codable {
    /// The rule's id.
    public var id: String
    public var symbol: String
    public var condition: AlertCondition
    /// The rule's level (a percentage for `changePercent`).
    public var level: Double
    /// The quote's price (last, else midpoint) that fired the rule.
    public var price: Double
    /// Milliseconds since the Unix epoch when the rule fired.
    public var time: Int64

    public init(id: String, symbol: String, condition: AlertCondition, level: Double, price: Double, time: Int64) {
        self.id = id
        self.symbol = symbol
        self.condition = condition
        self.level = level
        self.price = price
        self.time = time
    }
}
