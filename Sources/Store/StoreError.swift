import TickhubCore

/// Everything the store can fail with. Each case says which file or record, and what to do about it.
///
/// SQLite and file-system failures are mapped here (see `StoreError.wrap`), so a caller never sees a raw
/// `DatabaseError` and never crashes on a read-only file, an unwritable directory or a full disk.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: The database file

    /// The directory that should hold the database could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// The directory holding the database is not writable; WAL mode needs to create `-wal` and `-shm` files beside it.
    case directoryNotWritable(directory: String, path: String)
    /// The database file is read-only, or the store was opened read-only and asked to write.
    case readOnly(path: String)
    /// The disk (or the size limit) is full. The transaction rolled back: nothing was written.
    case diskFull(path: String)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// SQLite found the file damaged.
    case corrupt(path: String, detail: String)
    /// SQLite could not open the file (missing in read-only mode, a directory, permissions, …).
    case cannotOpen(path: String, detail: String)
    /// Another process holds the database locked for longer than the busy timeout.
    case busy(path: String)
    /// The file was written by a newer Tickhub: it has migrations this build does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// Any other SQLite failure.
    case database(path: String, detail: String)
    /// The task was cancelled before the database was reached; nothing was written.
    case cancelled

    // MARK: Requests

    /// A position failed validation; nothing was written.
    case invalidPosition(PositionValidationError)
    /// A broker name or account id is not acceptable.
    case invalidAccount(String)
    /// A P&L snapshot carries a value that is not a finite number.
    case invalidSnapshot(String)
    /// A CSV import was refused; every problem found is listed, and nothing was imported.
    case csvImport([CSVImportIssue])
    case unknownAccount(broker: String, accountId: String)
    case accountExists(broker: String, accountId: String)
    /// Deleting an account that still has positions (open or closed) needs `deletingPositions: true`.
    case accountHasPositions(broker: String, accountId: String, count: Int)
    case positionNotFound(id: Int64)
    /// Only manual positions are edited or deleted by hand; IBKR and imported ones belong to their sync/import.
    case notManual(id: Int64, origin: PositionOrigin)
    /// A closed position is history and is not edited.
    case positionClosed(id: Int64)
    /// An account holds at most one open position per symbol and origin.
    case duplicatePosition(broker: String, accountId: String, symbol: String, existingId: Int64)
    /// An alert rule failed validation; nothing was written.
    case invalidAlert(AlertValidationError)
    case alertNotFound(id: String)
    /// A stored alert rule cannot be read back (its targets are not valid JSON, say): it is refused, not guessed at.
    case corruptAlert(id: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, reason):
            "cannot create the directory for the database \(path): \(reason). Create it and make it writable by Tickhub, or choose another path."
        case let .directoryNotWritable(directory, path):
            "the directory \(directory) holding the database \(path) is not writable (WAL mode keeps -wal and -shm files beside the database). Make it writable by Tickhub, or move the database."
        case let .readOnly(path):
            "the database \(path) is read-only. Make the file and its directory writable by Tickhub (or open it read-write), then retry."
        case let .diskFull(path):
            "the disk holding the database \(path) is full; nothing was written. Free some space, then retry."
        case let .notADatabase(path):
            "\(path) is not an SQLite database. Move it aside or choose another path; Tickhub will create a new database there."
        case let .corrupt(path, detail):
            "the database \(path) is damaged (\(detail)). Restore it from a backup, or move it aside to start afresh."
        case let .cannotOpen(path, detail):
            "cannot open the database \(path): \(detail). Check that the path names a file (not a directory) that Tickhub may read and write."
        case let .busy(path):
            "the database \(path) is locked by another process. Stop the other Tickhub using it, then retry."
        case let .newerSchema(path, unknown):
            "the database \(path) was written by a newer Tickhub (migrations \(unknown.joined(separator: ", ")) are unknown here). Upgrade Tickhub, or restore a backup made by this version."
        case let .database(path, detail):
            "database error on \(path): \(detail)"
        case .cancelled:
            "the database request was cancelled; nothing was written"
        case let .invalidPosition(error):
            "invalid position: \(error)"
        case let .invalidAccount(reason):
            "invalid account: \(reason)"
        case let .invalidSnapshot(reason):
            "invalid P&L snapshot: \(reason)"
        case let .csvImport(issues):
            "CSV not imported, nothing changed (\(issues.count) problem\(issues.count == 1 ? "" : "s")):\n"
                + issues.map { "  \($0)" }.joined(separator: "\n")
        case let .unknownAccount(broker, accountId):
            "no account \(broker):\(accountId). Create it first."
        case let .accountExists(broker, accountId):
            "the account \(broker):\(accountId) already exists"
        case let .accountHasPositions(broker, accountId, count):
            "the account \(broker):\(accountId) still has \(count) position\(count == 1 ? "" : "s") (open or closed). Delete them first, or delete the account with its positions."
        case let .positionNotFound(id):
            "no position with id \(id)"
        case let .notManual(id, origin):
            "position \(id) comes from \(origin.rawValue), not manual entry; only manual positions are edited by hand"
        case let .positionClosed(id):
            "position \(id) is closed; closed positions are history and are not edited"
        case let .duplicatePosition(broker, accountId, symbol, existingId):
            "the account \(broker):\(accountId) already holds \(symbol) (position \(existingId)); update that position instead"
        case let .invalidAlert(error):
            "invalid alert: \(error.field): \(error)"
        case let .alertNotFound(id):
            "no alert with id \(id)"
        case let .corruptAlert(id, detail):
            "the stored alert \(id) cannot be read (\(detail)). Delete it and create it again."
        }
    }
}
