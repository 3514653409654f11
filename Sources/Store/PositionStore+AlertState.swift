import GRDB
import TickhubCore

extension PositionStore {
    /// Keeps what the rules have seen (their latest memory each); a rule deleted meanwhile is skipped, not an error,
    /// since its memory went with it.
    public func saveAlertMemories(_ memories: [String: AlertMemory]) async throws(StoreError) {
        guard !memories.isEmpty else { return }
        let time = now
        try await write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO alertState (alertId, armed, side, needsBand, lastFiredAt, base, updatedAt)
                SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM alertRule WHERE id = ?1)
                ON CONFLICT (alertId) DO UPDATE SET armed = excluded.armed, side = excluded.side,
                    needsBand = excluded.needsBand, lastFiredAt = excluded.lastFiredAt, base = excluded.base,
                    updatedAt = excluded.updatedAt
                """)
            for (id, memory) in memories {
                try statement.execute(arguments: [
                    id, memory.armed, memory.side?.rawValue, memory.needsBand, memory.lastFiredAt, memory.base, time,
                ])
            }
        }
    }

    /// What each rule had seen when last kept, by rule id.
    public func alertMemories() async throws(StoreError) -> [String: AlertMemory] {
        try await read { db in
            var memories: [String: AlertMemory] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT alertId, armed, side, needsBand, lastFiredAt, base FROM alertState")
            while let row = try rows.next() {
                let side: String? = row["side"]
                memories[row["alertId"]] = AlertMemory(
                    armed: row["armed"], side: side.flatMap(AlertMemory.Side.init(rawValue:)), needsBand: row["needsBand"],
                    lastFiredAt: row["lastFiredAt"], base: row["base"])
            }
            return memories
        }
    }
}
