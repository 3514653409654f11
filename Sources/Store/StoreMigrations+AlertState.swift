import GRDB

extension StoreMigrations {
    /// What each alert rule has seen (`alertState`, one row a rule, gone with it), so a restart neither fires a rule
    /// again inside its cooldown nor forgets that it is disarmed; and the deliveries of fired alerts to their targets
    /// with every attempt's outcome (`alertDelivery`, `alertDeliveryAttempt`), kept after the rule is deleted because
    /// they are the record of what was sent.
    static func v5AlertState(_ db: Database) throws {
        try db.create(table: "alertState") { t in
            t.primaryKey("alertId", .text).references("alertRule", onDelete: .cascade)
            t.column("armed", .boolean).notNull()
            t.column("side", .text).check(sql: "side IS NULL OR side IN ('above','below')")
            t.column("needsBand", .boolean).notNull()
            t.column("lastFiredAt", .integer)
            t.column("base", .double)
            t.column("updatedAt", .integer).notNull()
        }

        try db.create(table: "alertDelivery") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("alertId", .text).notNull()
            t.column("symbol", .text).notNull()
            t.column("condition", .text).notNull()
            t.column("level", .double).notNull()
            t.column("price", .double).notNull()
            t.column("firedAt", .integer).notNull()
            t.column("targetType", .text).notNull().check(sql: "targetType IN ('webhook','telegram')")
            // A webhook's URL without credentials or query, a Telegram chat id: never a token.
            t.column("target", .text).notNull()
            t.column("state", .text).notNull().check(sql: "state IN ('pending','delivered','failed')")
            t.column("updatedAt", .integer).notNull()
        }
        try db.create(index: "alertDelivery_on_alertId", on: "alertDelivery", columns: ["alertId", "id"])

        try db.create(table: "alertDeliveryAttempt") { t in
            t.column("deliveryId", .integer).notNull().references("alertDelivery", onDelete: .cascade)
            t.column("attempt", .integer).notNull().check(sql: "attempt >= 1")
            t.column("at", .integer).notNull()
            t.column("outcome", .text).notNull().check(sql: "outcome IN ('delivered','failed')")
            t.column("status", .integer)
            t.column("detail", .text).notNull()
            t.column("durationMs", .integer).notNull()
            t.primaryKey(["deliveryId", "attempt"])
        }
    }
}
