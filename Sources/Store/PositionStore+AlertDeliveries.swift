import GRDB
import TickhubCore

extension PositionStore {
    /// Records a delivery about to be attempted (state `pending`); returns its id.
    public func beginAlertDelivery(_ fired: AlertFired, targetType: String, target: String) async throws(StoreError) -> Int64 {
        let time = now
        return try await write { db in
            try db.execute(sql: """
                INSERT INTO alertDelivery (alertId, symbol, condition, level, price, firedAt, targetType, target, state, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                """, arguments: [fired.id, fired.symbol, fired.condition.rawValue, fired.level, fired.price, fired.time,
                                 targetType, target, time])
            return db.lastInsertedRowID
        }
    }

    /// Records one attempt's outcome and the delivery's state after it.
    public func recordAlertAttempt(_ attempt: AlertDelivery.Attempt, delivery id: Int64, state: AlertDelivery.State) async throws(StoreError) {
        let time = now
        try await write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO alertDeliveryAttempt (deliveryId, attempt, at, outcome, status, detail, durationMs)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, attempt.attempt, attempt.at, attempt.delivered ? "delivered" : "failed", attempt.status,
                                 attempt.detail, attempt.durationMs])
            try db.execute(sql: "UPDATE alertDelivery SET state = ?, updatedAt = ? WHERE id = ?",
                           arguments: [state.rawValue, time, id])
        }
    }

    /// The newest deliveries first, at most `limit`, of one rule or of all; each with its attempts in order.
    public func alertDeliveries(alertId: String? = nil, limit: Int = 100) async throws(StoreError) -> [AlertDelivery] {
        try await read { db in
            var sql = "SELECT * FROM alertDelivery"
            var arguments: StatementArguments = []
            if let alertId {
                sql += " WHERE alertId = ?"
                arguments += [alertId]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [max(0, limit)]
            var deliveries: [AlertDelivery] = []
            var index: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                let condition: String = row["condition"]
                let state: String = row["state"]
                let fired = AlertFired(
                    id: row["alertId"], symbol: row["symbol"], condition: AlertCondition(rawValue: condition) ?? .crosses,
                    level: row["level"], price: row["price"], time: row["firedAt"])
                index[row["id"]] = deliveries.count
                deliveries.append(AlertDelivery(
                    id: row["id"], fired: fired, targetType: row["targetType"], target: row["target"],
                    state: AlertDelivery.State(rawValue: state) ?? .failed, attempts: []))
            }
            guard let oldest = deliveries.last?.id else { return deliveries }
            let attempts = try Row.fetchCursor(db, sql: """
                SELECT * FROM alertDeliveryAttempt WHERE deliveryId >= ? ORDER BY deliveryId, attempt
                """, arguments: [oldest])
            while let row = try attempts.next() {
                guard let position = index[row["deliveryId"]] else { continue }
                let outcome: String = row["outcome"]
                deliveries[position].attempts.append(AlertDelivery.Attempt(
                    attempt: row["attempt"], at: row["at"], delivered: outcome == "delivered", status: row["status"],
                    detail: row["detail"], durationMs: row["durationMs"]))
            }
            return deliveries
        }
    }

    /// Deliveries left pending by a stop (their retries died with the process) marked failed, so none stays pending
    /// for ever; returns how many.
    @discardableResult
    public func failInterruptedAlertDeliveries() async throws(StoreError) -> Int {
        let time = now
        return try await write { db in
            try db.execute(sql: "UPDATE alertDelivery SET state = 'failed', updatedAt = ? WHERE state = 'pending'", arguments: [time])
            return db.changesCount
        }
    }

    /// Deletes all but the newest `keeping` deliveries (their attempts with them); returns how many went.
    @discardableResult
    public func pruneAlertDeliveries(keeping: Int) async throws(StoreError) -> Int {
        try await write { db in
            try db.execute(sql: """
                DELETE FROM alertDelivery WHERE id <= (SELECT id FROM alertDelivery ORDER BY id DESC LIMIT 1 OFFSET ?)
                """, arguments: [max(0, keeping)])
            return db.changesCount
        }
    }
}
