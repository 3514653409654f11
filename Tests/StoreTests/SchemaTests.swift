import Foundation
import GRDB
import Testing
import TickhubCore
@testable import Store

@Suite("Schema and reopening")
struct SchemaTests {
    @Test func firstOpenCreatesTheFileItsDirectoryAndEveryTable() async throws {
        let directory = TemporaryDirectory()
        let path = (directory.path as NSString).appendingPathComponent("nested/deeper/tickhub.sqlite")
        let store = try openStore(path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await store.appliedMigrations() == ["v1", "v2", "v3", "v4-bars", "v5-alert-state", "v6-broker-sync"])

        let schema = try await store.pool.read { db in
            (
                tables: try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
                indexes: try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
                positionColumns: try db.columns(in: "position").map(\.name),
                quoteColumns: try db.columns(in: "lastQuote").map(\.name),
                positionForeignKeys: try db.foreignKeys(on: "position"),
                accountPrimaryKey: try db.primaryKey("brokerAccount").columns,
                journal: try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                foreignKeys: try Bool.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(schema.tables == ["alertDelivery", "alertDeliveryAttempt", "alertRule", "alertState", "bar", "brokerAccount", "grdb_migrations", "instrument", "lastQuote", "pnlSnapshot", "position"])
        #expect(schema.indexes == ["alertDelivery_on_alertId", "alertRule_on_symbol", "bar_on_time", "pnlSnapshot_on_takenAt", "position_on_account", "position_open_in_order", "position_open_unique"])
        #expect(schema.positionColumns == [
            "id", "broker", "accountId", "symbol", "securityType", "quantity", "averageCost", "multiplier", "currency",
            "origin", "updatedAt", "closedAt", "unvaluedReason",
        ])
        #expect(schema.quoteColumns == [
            "symbol", "bid", "ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high", "low", "close",
            "lastTradeTime", "timestamp", "source", "delayed",
        ])
        #expect(schema.positionForeignKeys.count == 1)
        #expect(schema.positionForeignKeys.first?.destinationTable == "brokerAccount")
        #expect(schema.positionForeignKeys.first?.originColumns == ["broker", "accountId"])
        #expect(schema.accountPrimaryKey == ["broker", "accountId"])
        #expect(schema.journal == "wal")
        #expect(schema.foreignKeys == true)
    }

    @Test func userDataSurvivesARestart() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        do {
            let store = try openStore(path)
            try await store.createAccount(broker: "tastytrade", accountId: "5WT00001", label: "Taxable")
            try await store.insertManual(.stock("AAPL", 10, at: 150), broker: "tastytrade", accountId: "5WT00001")
            try await store.syncIBKR(accountId: "DU123", positions: [BrokerPosition(symbol: "MSFT", securityType: .stock, quantity: 5, averageCost: 300)])
            try await store.saveLastQuotes([Quote(symbol: "AAPL", source: .ibkr, timestamp: 42)])
            try await store.recordSnapshot(PnLSnapshot(takenAt: 1000, scope: .total, marketValue: 3000, unrealizedPnl: 10, dailyPnl: 1))
        }
        let reopened = try openStore(path)
        #expect(try await reopened.appliedMigrations() == ["v1", "v2", "v3", "v4-bars", "v5-alert-state", "v6-broker-sync"])
        #expect(try await reopened.accounts().map(\.label) == ["DU123", "Taxable"])
        #expect(try await reopened.openPositions().map(\.symbol) == ["MSFT", "AAPL"])
        #expect(try await reopened.loadLastQuotes().map(\.symbol) == ["AAPL"])
        #expect(try await reopened.snapshots(from: 0, to: 2000).count == 1)
        #expect(try await reopened.integrityCheck() == ["ok"])
    }

    @Test func foreignKeysAreEnforced() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let error = await storeError {
            try await store.write { db in
                try db.execute(sql: """
                    INSERT INTO position (broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency, origin, updatedAt)
                    VALUES ('nobody', 'X1', 'AAPL', 'STK', 1, 1, 1, 'USD', 'manual', 0)
                    """)
            }
        }
        guard case let .database(_, detail) = error else {
            Issue.record("expected a constraint failure, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("FOREIGN KEY"))
    }

    @Test func aDatabaseFromANewerTickhubIsRefused() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        do {
            let store = try openStore(path)
            try await store.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
            }
        }
        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v99"])) { try openStore(path) }
    }

    @Test func readsDoNotWaitForAnOpenWriteTransaction() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.createAccount(broker: "manual", accountId: "main")
        try await store.insertManual(.stock("AAPL", 1, at: 1), broker: "manual", accountId: "main")

        // The writer holds a transaction with an uncommitted change while a read runs to completion.
        let writerInside = DispatchSemaphore(value: 0)
        let readDone = DispatchSemaphore(value: 0)
        let write = Task {
            try await store.pool.write { db in
                try db.execute(sql: "UPDATE position SET quantity = 99")
                writerInside.signal()
                // Bounded, so a regression fails the test instead of hanging it.
                _ = readDone.wait(timeout: .now() + 10)
            }
        }
        await wait(for: writerInside)
        let seen = try await store.openPositions().map(\.quantity)
        readDone.signal()
        try await write.value
        #expect(seen == [1])
        #expect(try await store.openPositions().map(\.quantity) == [99])
    }
}
