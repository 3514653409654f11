import GRDB
import TickhubCore

/// One position: table `position`. Open while `closedAt` is nil; a closed row is kept as history.
///
/// `averageCost` is stored as the origin gives it: per unit for manual and imported positions, and as IBKR
/// reports it for `ibkr` ones (per contract, multiplier included, for options and futures).
/// An account holds at most one open position per symbol and origin.
public struct PositionRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "position"

    public var id: Int64?
    public var broker: String
    public var accountId: String
    /// Canonical, as `SymbolGrammar` spells it.
    public var symbol: String
    public var securityType: SecurityType
    /// Negative for a short position.
    public var quantity: Double
    public var averageCost: Double
    public var multiplier: Double
    public var currency: String
    public var origin: PositionOrigin
    /// Milliseconds since the Unix epoch of the last change to this row.
    public var updatedAt: Int64
    /// Milliseconds since the Unix epoch at which the position was closed; nil while open.
    public var closedAt: Int64?
    /// Set on a synced position Tickhub cannot value (a future): its `symbol` is then the broker's own, outside
    /// Tickhub's grammar, and this says why.
    public var unvaluedReason: String?

    public init(
        id: Int64? = nil, broker: String, accountId: String, symbol: String, securityType: SecurityType,
        quantity: Double, averageCost: Double, multiplier: Double, currency: String, origin: PositionOrigin,
        updatedAt: Int64, closedAt: Int64? = nil, unvaluedReason: String? = nil
    ) {
        self.id = id
        self.broker = broker
        self.accountId = accountId
        self.symbol = symbol
        self.securityType = securityType
        self.quantity = quantity
        self.averageCost = averageCost
        self.multiplier = multiplier
        self.currency = currency
        self.origin = origin
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.unvaluedReason = unvaluedReason
    }

    init(_ valid: ValidPosition, broker: String, accountId: String, origin: PositionOrigin, at now: Int64) {
        self.init(
            broker: broker, accountId: accountId, symbol: valid.symbol, securityType: valid.securityType,
            quantity: valid.quantity, averageCost: valid.averageCost, multiplier: valid.multiplier,
            currency: valid.currency, origin: origin, updatedAt: now, unvaluedReason: valid.unvaluedReason)
    }

    public var isOpen: Bool { closedAt == nil }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Copies the validated fields in; true when anything changed.
    mutating func apply(_ valid: ValidPosition) -> Bool {
        let before = self
        symbol = valid.symbol
        securityType = valid.securityType
        quantity = valid.quantity
        averageCost = valid.averageCost
        multiplier = valid.multiplier
        currency = valid.currency
        unvaluedReason = valid.unvaluedReason
        return self != before
    }
}
