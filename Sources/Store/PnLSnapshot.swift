import GRDB
import TickhubCore

/// Portfolio value and P&L at one moment for one scope: table `pnlSnapshot`, indexed on `takenAt`.
/// Amounts are in USD, as `PnLEngine.totals` sums them.
public struct PnLSnapshot: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pnlSnapshot"

    public var id: Int64?
    /// Milliseconds since the Unix epoch.
    public var takenAt: Int64
    public var scope: PnLScope
    public var marketValue: Double
    public var unrealizedPnl: Double
    public var dailyPnl: Double

    public init(
        id: Int64? = nil, takenAt: Int64, scope: PnLScope, marketValue: Double, unrealizedPnl: Double,
        dailyPnl: Double
    ) {
        self.id = id
        self.takenAt = takenAt
        self.scope = scope
        self.marketValue = marketValue
        self.unrealizedPnl = unrealizedPnl
        self.dailyPnl = dailyPnl
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    func validate() throws(StoreError) {
        for (name, value) in [("marketValue", marketValue), ("unrealizedPnl", unrealizedPnl), ("dailyPnl", dailyPnl)]
        where !value.isFinite {
            throw .invalidSnapshot("\(name) is \(value) for \(scope) at \(takenAt); amounts must be finite")
        }
    }
}
