import GRDB

extension StoreMigrations {
    /// Positions synced from a broker's API (`origin` `tastytrade`), and the positions a broker reports that Tickhub
    /// cannot value (`unvaluedReason`: kept as the broker spells them, with why). SQLite cannot change a column's
    /// check, so the table is made anew and every row copied, ids kept; the migrator checks the foreign keys after.
    static func v6BrokerSync(_ db: Database) throws {
        try db.create(table: "position_v6") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("broker", .text).notNull()
            t.column("accountId", .text).notNull()
            t.column("symbol", .text).notNull().check(sql: "length(symbol) > 0")
            t.column("securityType", .text).notNull().check(sql: "securityType IN (\(positionTypes))")
            t.column("quantity", .double).notNull()
            t.column("averageCost", .double).notNull()
            t.column("multiplier", .double).notNull().check(sql: "multiplier > 0")
            t.column("currency", .text).notNull()
            t.column("origin", .text).notNull().check(sql: "origin IN ('ibkr','tastytrade','manual','import')")
            t.column("updatedAt", .integer).notNull()
            t.column("closedAt", .integer)
            t.column("unvaluedReason", .text)
            t.foreignKey(
                ["broker", "accountId"], references: "brokerAccount", columns: ["broker", "accountId"],
                onDelete: .restrict)
        }
        try db.execute(sql: """
            INSERT INTO position_v6 (id, broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency,
                                     origin, updatedAt, closedAt)
            SELECT id, broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency, origin, updatedAt, closedAt
            FROM position
            """)
        try db.drop(table: "position")
        try db.rename(table: "position_v6", to: "position")
        try db.create(index: "position_on_account", on: "position", columns: ["broker", "accountId", "closedAt"])
        try db.execute(sql: """
            CREATE UNIQUE INDEX position_open_unique ON position(broker, accountId, origin, symbol)
            WHERE closedAt IS NULL
            """)
        try db.execute(sql: """
            CREATE INDEX position_open_in_order ON position (broker, accountId, symbol, origin, id) WHERE closedAt IS NULL
            """)
    }
}
