import Foundation
import GRDB
import Logging

extension PositionStore {
    static func openPool(path: String, options: StoreOptions, logger: Logger) throws(StoreError) -> DatabasePool {
        if options.readOnly {
            try StoreFiles.prepareForReading(path)
        } else {
            try StoreFiles.prepareForWriting(path)
        }

        var configuration = Configuration()
        configuration.label = "tickhub.store"
        configuration.foreignKeysEnabled = true
        configuration.readonly = options.readOnly
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(options.busyTimeout)
        if let pages = options.maximumPageCount {
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
        }

        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            let mapped = StoreError.wrap(error, path: path)
            logger.error("cannot open the store", metadata: ["path": "\(path)", "error": "\(mapped)"])
            throw mapped
        }

        do {
            let migrator = StoreMigrations.migrator
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations).sorted()
            guard unknown.isEmpty else { throw StoreError.newerSchema(path: path, unknownMigrations: unknown) }

            if options.readOnly {
                let pending = try pool.read { db in try !migrator.hasCompletedMigrations(db) }
                if pending {
                    throw StoreError.cannotOpen(
                        path: path, detail: "its schema is not up to date, and a read-only open cannot migrate it; open it read-write once")
                }
            } else {
                let wasCurrent = try pool.read { db in try migrator.hasCompletedMigrations(db) }
                try migrator.migrate(pool)
                // A migration that rebuilds a table leaves its pages in the WAL until a checkpoint: moved into the
                // file at once, so the log starts empty and a file-size limit is met by data, not by the schema.
                if !wasCurrent { _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) } }
                // GRDB sets synchronous=NORMAL with WAL, which can lose the last commits on power loss (never on
                // a crash). Writes here are few and include the user's own entries, so pay for FULL.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            let migrations = try pool.read { db in try migrator.appliedMigrations(db) }
            logger.info(
                "store opened",
                metadata: ["path": "\(path)", "migrations": "\(migrations.joined(separator: ","))", "readOnly": "\(options.readOnly)"])
        } catch {
            let mapped = StoreError.wrap(error, path: path)
            logger.error("cannot open the store", metadata: ["path": "\(path)", "error": "\(mapped)"])
            throw mapped
        }
        return pool
    }
}
