import Foundation
import GRDB
import Logging

/// Positions, accounts, last quotes and P&L history in one SQLite file.
///
/// The file is opened as a GRDB `DatabasePool` in WAL mode: reads run concurrently on reader connections and
/// never block the single writer; every write is one transaction on that writer, so it either happens whole
/// or not at all. Foreign keys are on. The schema is created and upgraded by `StoreMigrations` when the store
/// opens. Every failure is a `StoreError` naming the file.
///
/// Methods are `async` and safe to call from any thread or task.
public final class PositionStore: Sendable {
    public let path: String
    public let options: StoreOptions
    let pool: DatabasePool
    let logger: Logger

    /// Opens (creating if needed, with its directory) the database at `path` and brings its schema up to date.
    public init(path: String, options: StoreOptions = StoreOptions(), logger: Logger = Logger(label: "tickhub.store"))
        throws(StoreError)
    {
        self.path = path
        self.options = options
        self.logger = logger
        pool = try Self.openPool(path: path, options: options, logger: logger)
    }

    /// The `PRAGMA integrity_check` rows: `["ok"]` for a healthy file, else SQLite's list of problems.
    public func integrityCheck() async throws(StoreError) -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// The identifiers of the migrations applied to the file, in order.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        try await read { db in try StoreMigrations.migrator.appliedMigrations(db) }
    }

    // MARK: Access

    /// One write transaction on the pool's single writer; rolled back if `body` throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        guard !options.readOnly else { throw .readOnly(path: path) }
        do {
            return try await pool.write(body)
        } catch {
            let mapped = StoreError.wrap(error, path: path)
            logFailure(mapped)
            throw mapped
        }
    }

    /// A read on a reader connection, isolated from concurrent writes.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            let mapped = StoreError.wrap(error, path: path)
            logFailure(mapped)
            throw mapped
        }
    }

    var now: Int64 { options.clock() }

    private func logFailure(_ error: StoreError) {
        switch error {
        case .readOnly, .diskFull, .notADatabase, .corrupt, .cannotOpen, .busy, .database, .directoryNotWritable:
            logger.error("store failure", metadata: ["path": "\(path)", "error": "\(error)"])
        default:
            break
        }
    }
}
