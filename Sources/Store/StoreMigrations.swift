import GRDB

/// The schema, as a list of migrations applied in order and recorded in `grdb_migrations`.
///
/// Append-only: a migration that has shipped is never edited, reordered or removed, because databases in the
/// field have already applied it. Change the schema by registering "v2", "v3", … below.
enum StoreMigrations {
    /// Security types a position may hold; the instrument table also accepts `IND`.
    static let positionTypes = "'STK','OPT','FUT','CASH','CRYPTO'"
    static let instrumentTypes = "'STK','OPT','FUT','CASH','CRYPTO','IND'"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        migrator.registerMigration("v4-bars", migrate: v4Bars)
        migrator.registerMigration("v5-alert-state", migrate: v5AlertState)
        migrator.registerMigration("v6-broker-sync", migrate: v6BrokerSync)
        return migrator
    }

    static func v1(_ db: Database) throws {
        try db.create(table: "brokerAccount") { t in
            t.column("broker", .text).notNull().check(sql: "length(broker) > 0")
            t.column("accountId", .text).notNull().check(sql: "length(accountId) > 0")
            t.column("label", .text).notNull()
            t.column("active", .boolean).notNull().defaults(to: true)
            t.primaryKey(["broker", "accountId"])
        }

        try db.create(table: "position") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("broker", .text).notNull()
            t.column("accountId", .text).notNull()
            t.column("symbol", .text).notNull().check(sql: "length(symbol) > 0")
            t.column("securityType", .text).notNull().check(sql: "securityType IN (\(positionTypes))")
            t.column("quantity", .double).notNull()
            t.column("averageCost", .double).notNull()
            t.column("multiplier", .double).notNull().check(sql: "multiplier > 0")
            t.column("currency", .text).notNull()
            t.column("origin", .text).notNull().check(sql: "origin IN ('ibkr','manual','import')")
            t.column("updatedAt", .integer).notNull()
            t.column("closedAt", .integer)
            t.foreignKey(
                ["broker", "accountId"], references: "brokerAccount", columns: ["broker", "accountId"],
                onDelete: .restrict)
        }
        // Serves the foreign key and per-account queries.
        try db.create(index: "position_on_account", on: "position", columns: ["broker", "accountId", "closedAt"])
        // One open position per symbol and origin in an account; closed rows are history and may repeat.
        try db.execute(sql: """
            CREATE UNIQUE INDEX position_open_unique ON position(broker, accountId, origin, symbol)
            WHERE closedAt IS NULL
            """)

        try db.create(table: "instrument") { t in
            t.primaryKey("symbol", .text)
            t.column("conId", .integer)
            t.column("securityType", .text).notNull().check(sql: "securityType IN (\(instrumentTypes))")
            t.column("exchange", .text).notNull()
            t.column("currency", .text).notNull()
            t.column("multiplier", .double).notNull().check(sql: "multiplier > 0")
        }

        try db.create(table: "lastQuote") { t in
            t.primaryKey("symbol", .text)
            for column in ["bid", "ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high", "low", "close"] {
                t.column(column, .double)
            }
            t.column("lastTradeTime", .integer)
            t.column("timestamp", .integer).notNull()
            t.column("source", .text).notNull()
            t.column("delayed", .boolean).notNull()
        }

        try db.create(table: "pnlSnapshot") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("takenAt", .integer).notNull()
            t.column("scope", .text).notNull()
            t.column("marketValue", .double).notNull()
            t.column("unrealizedPnl", .double).notNull()
            t.column("dailyPnl", .double).notNull()
        }
        try db.create(index: "pnlSnapshot_on_takenAt", on: "pnlSnapshot", columns: ["takenAt"])
    }

    /// Paging open positions (`GET /api/positions`): their listing order, open rows only.
    static func v2(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX position_open_in_order ON position (broker, accountId, symbol, origin, id) WHERE closedAt IS NULL
            """)
    }

    /// Price alert rules (`AlertRecord`). Targets are JSON text, read back through `AlertTarget`'s coding; the
    /// checks keep a row the hub could not evaluate out of the table.
    static func v3(_ db: Database) throws {
        try db.create(table: "alertRule") { t in
            t.primaryKey("id", .text).check(sql: "length(id) > 0")
            t.column("symbol", .text).notNull().check(sql: "length(symbol) > 0")
            t.column("condition", .text).notNull().check(sql: "condition IN ('above','below','crosses','changePercent')")
            t.column("level", .double).notNull()
            t.column("reference", .text).notNull().check(sql: "reference IN ('previousClose','creation')")
            t.column("referencePrice", .double)
            t.column("cooldownSeconds", .integer).notNull().check(sql: "cooldownSeconds >= 0")
            t.column("expiresAt", .integer)
            t.column("allowDelayed", .boolean).notNull().defaults(to: false)
            t.column("targets", .text).notNull().defaults(to: "[]")
            t.column("createdAt", .integer).notNull()
        }
        // The evaluator loads rules per symbol.
        try db.create(index: "alertRule_on_symbol", on: "alertRule", columns: ["symbol"])
    }

    /// Chart bars (`BarRecord`), one row per (symbol, interval, bar start), each with the provider that gave it, so
    /// that a restart does not refetch a day of minutes. The checks keep a bar the charts could not draw out.
    static func v4Bars(_ db: Database) throws {
        // The intervals as they were when this shipped (BarInterval): a new one needs a migration of its own.
        let intervals = "'1m','5m','15m','30m','1h','1d'"
        try db.create(table: "bar", options: [.withoutRowID]) { t in
            t.column("symbol", .text).notNull().check(sql: "length(symbol) > 0")
            t.column("interval", .text).notNull().check(sql: "interval IN (\(intervals))")
            t.column("time", .integer).notNull()
            t.column("open", .double).notNull()
            t.column("high", .double).notNull()
            t.column("low", .double).notNull()
            t.column("close", .double).notNull()
            t.column("volume", .double)
            t.column("source", .text).notNull().check(sql: "length(source) > 0")
            t.check(sql: "low <= high AND low <= open AND open <= high AND low <= close AND close <= high AND low > 0")
            t.primaryKey(["symbol", "interval", "time"])
        }
        // Pruning by age scans bar starts across every series.
        try db.create(index: "bar_on_time", on: "bar", columns: ["time"])
    }
}
