import GRDB
import TickhubCore

extension PositionStore {
    /// Records one snapshot; `id` is assigned.
    @discardableResult
    public func recordSnapshot(_ snapshot: PnLSnapshot) async throws(StoreError) -> PnLSnapshot {
        try await recordSnapshots([snapshot])[0]
    }

    /// Records several snapshots (typically the total, each broker and each account at one instant) in one
    /// transaction; ids are assigned.
    @discardableResult
    public func recordSnapshots(_ snapshots: [PnLSnapshot]) async throws(StoreError) -> [PnLSnapshot] {
        for snapshot in snapshots { try snapshot.validate() }
        return try await write { db in
            var recorded = snapshots
            for index in recorded.indices { try recorded[index].insert(db) }
            return recorded
        }
    }

    /// Snapshots taken from `from` to `to` (both inclusive, milliseconds since the epoch), of one scope or
    /// (nil) all, oldest first.
    public func snapshots(from: Int64, to: Int64, scope: PnLScope? = nil) async throws(StoreError) -> [PnLSnapshot] {
        try await read { db in
            var request = PnLSnapshot.filter(Column("takenAt") >= from && Column("takenAt") <= to)
            if let scope { request = request.filter(Column("scope") == scope.text) }
            return try request.order(Column("takenAt"), Column("id")).fetchAll(db)
        }
    }

    /// Deletes snapshots taken before `cutoff`; returns how many. For a retention policy.
    @discardableResult
    public func deleteSnapshots(before cutoff: Int64) async throws(StoreError) -> Int {
        try await write { db in try PnLSnapshot.filter(Column("takenAt") < cutoff).deleteAll(db) }
    }
}
