import Foundation
import GRDB

extension StoreError {
    /// Maps whatever a database access threw to a `StoreError` naming `path`.
    static func wrap(_ error: any Error, path: String) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as DatabaseError:
            return map(error, path: path)
        case is CancellationError:
            return .cancelled
        default:
            return .database(path: path, detail: String(describing: error))
        }
    }

    static func map(_ error: DatabaseError, path: String) -> StoreError {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_READONLY:
            if error.extendedResultCode == .SQLITE_READONLY_DIRECTORY {
                return .directoryNotWritable(directory: StoreFiles.directory(of: path), path: path)
            }
            return .readOnly(path: path)
        case .SQLITE_FULL:
            return .diskFull(path: path)
        case .SQLITE_NOTADB:
            return .notADatabase(path: path)
        case .SQLITE_CORRUPT:
            return .corrupt(path: path, detail: detail)
        case .SQLITE_CANTOPEN, .SQLITE_PERM:
            return .cannotOpen(path: path, detail: detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .busy(path: path)
        case .SQLITE_IOERR:
            // Some file systems report a full disk as an I/O error on write.
            if let message = error.message, message.localizedCaseInsensitiveContains("disk is full") {
                return .diskFull(path: path)
            }
            return .database(path: path, detail: "I/O error: \(detail)")
        default:
            return .database(path: path, detail: detail)
        }
    }
}
