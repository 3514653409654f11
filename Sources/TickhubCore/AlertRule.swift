/// A price alert as the hub keeps it: validated (see `AlertDraft`), with its id and creation time.
///
/// Times are integer milliseconds since the Unix epoch, like every `...At` in the API.
public struct AlertRule: Sendable, Equatable, Codable {
    public var id: String
    /// Canonical, as `SymbolGrammar` spells it, so it matches the quotes' `symbol`.
    public var symbol: String
    public var condition: AlertCondition
    /// A price for `above`, `below` and `crosses`; a percentage (non-zero) for `changePercent`.
    public var level: Double
    /// What a `changePercent` rule measures from; `previousClose` for the other conditions, where it is unused.
    public var reference: AlertReference
    /// The price when the rule was made, the base of a `changePercent` rule with `reference: creation`. Nil when no
    /// price was known then: the evaluator then takes the first price it evaluates for the rule.
    public var referencePrice: Double?
    /// After firing, the rule stays quiet this long even if its condition holds again.
    public var cooldownSeconds: Int
    /// After this instant the rule never fires; nil for never.
    public var expiresAt: Int64?
    /// Whether a delayed quote (15-minute data, say) may fire the rule. A stale quote never does.
    public var allowDelayed: Bool
    public var targets: [AlertTarget]
    public var createdAt: Int64

    public init(
        id: String, symbol: String, condition: AlertCondition, level: Double, reference: AlertReference = .previousClose,
        referencePrice: Double? = nil, cooldownSeconds: Int = 60, expiresAt: Int64? = nil, allowDelayed: Bool = false,
        targets: [AlertTarget] = [], createdAt: Int64
    ) {
        self.id = id
        self.symbol = symbol
        self.condition = condition
        self.level = level
        self.reference = reference
        self.referencePrice = referencePrice
        self.cooldownSeconds = cooldownSeconds
        self.expiresAt = expiresAt
        self.allowDelayed = allowDelayed
        self.targets = targets
        self.createdAt = createdAt
    }

    /// True once the rule's expiry has passed.
    public func hasExpired(at now: Int64) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }
}
