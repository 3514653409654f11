import Foundation
import GRDB
import Testing
import TickhubCore
@testable import Store

/// Files that cannot be opened or written give a `StoreError` naming the path, never a crash.
/// The tests run as root in CI, where permission bits do not stop a write, so most failures are provoked in
/// ways root cannot bypass: a read-only open mode, a parent that is a file, /proc, a page cap for a full disk.
@Suite("Opening failures")
struct OpenFailureTests {
    @Test func writingThroughAReadOnlyOpenIsAClearError() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        do {
            let store = try openStore(path)
            try await store.createAccount(broker: "tastytrade", accountId: "A")
            try await store.insertManual(.stock("AAPL", 1, at: 1), broker: "tastytrade", accountId: "A")
        }
        let readOnly = try openStore(path, readOnly: true)
        #expect(try await readOnly.openPositions().map(\.symbol) == ["AAPL"])
        #expect(await storeError { try await readOnly.insertManual(.stock("MSFT", 1, at: 1), broker: "tastytrade", accountId: "A") }
            == .readOnly(path: path))
        #expect(await storeError { try await readOnly.saveLastQuotes([Quote(symbol: "AAPL", source: .ibkr)]) } == .readOnly(path: path))

        // SQLite itself refuses, too: the connections are read-only, not just the store's guard.
        let sqliteError = await storeError {
            do {
                return try await readOnly.pool.write { db in try db.execute(sql: "DELETE FROM position") }
            } catch {
                throw StoreError.wrap(error, path: path)
            }
        }
        #expect(sqliteError == .readOnly(path: path))
        #expect(try await openStore(path).openPositions().count == 1)
        #expect(StoreError.readOnly(path: path).description.contains(path))
    }

    @Test func aReadOnlyOpenNeedsAnExistingFile() {
        let directory = TemporaryDirectory()
        let path = directory.file("missing.sqlite")
        #expect {
            try openStore(path, readOnly: true)
        } throws: { error in
            guard case let .cannotOpen(errorPath, detail) = error as? StoreError else { return false }
            return errorPath == path && detail.contains("does not exist")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores permission bits; the read-only open mode test covers this path"))
    func aReadOnlyFile() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        _ = try openStore(path)
        #expect(chmod(path, 0o444) == 0)
        #expect(throws: StoreError.readOnly(path: path)) { try openStore(path) }
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores permission bits"))
    func anUnwritableDirectory() throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        _ = try openStore(path)
        #expect(chmod(directory.path, 0o555) == 0)
        #expect(throws: StoreError.directoryNotWritable(directory: directory.path, path: path)) { try openStore(path) }
    }

    @Test func aDirectoryThatCannotBeCreated() throws {
        let directory = TemporaryDirectory()
        // A parent that is a regular file: no user, root included, can create a directory under it.
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let blocker = directory.file("blocker")
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        let path = (blocker as NSString).appendingPathComponent("sub/tickhub.sqlite")
        #expect {
            try openStore(path)
        } throws: { error in
            guard case let .cannotCreateDirectory(errorPath, reason) = error as? StoreError else { return false }
            return errorPath == path && reason.contains(blocker) && (error as! StoreError).description.contains(path)
        }

        // /proc refuses new directories, root or not.
        let procPath = "/proc/tickhub-store-test-\(getpid())/tickhub.sqlite"
        #expect {
            try openStore(procPath)
        } throws: { error in
            guard case let .cannotCreateDirectory(errorPath, _) = error as? StoreError else { return false }
            return errorPath == procPath
        }
    }

    @Test func aPathThatIsADirectory() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("store.sqlite")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(throws: StoreError.cannotOpen(path: path, detail: "it is a directory")) { try openStore(path) }
    }

    @Test func aFileThatIsNotADatabase() throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { try openStore(path) }
    }

    @Test func aFullDiskFailsTheWriteAndKeepsWhatWasThere() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        let pages: Int
        do {
            let store = try openStore(path)
            try await store.createAccount(broker: "tastytrade", accountId: "A")
            try await store.insertManual(.stock("AAPL", 1, at: 1), broker: "tastytrade", accountId: "A")
            pages = try await store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        }
        // Cap the file just above its current size: growing past it is SQLITE_FULL, as on a full disk.
        var options = StoreOptions()
        options.maximumPageCount = pages + 4  // room for the WAL set-up GRDB does on open
        let store = try PositionStore(path: path, options: options)

        let quotes = (0..<5000).map { Quote(symbol: "S\($0)", source: .yahoo, timestamp: Int64($0)) }
        #expect(await storeError { try await store.saveLastQuotes(quotes) } == .diskFull(path: path))
        #expect(try await store.loadLastQuotes().isEmpty)
        #expect(try await store.openPositions().map(\.symbol) == ["AAPL"])
        #expect(try await store.integrityCheck() == ["ok"])
        #expect(StoreError.diskFull(path: path).description.contains("Free some space"))
    }

    @Test func aSyncOrImportCutShortByAFullDiskChangesNothing() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        let pages: Int
        do {
            let store = try openStore(path)
            try await store.syncIBKR(accountId: "DU123", positions: [
                BrokerPosition(symbol: "AAPL", securityType: .stock, quantity: 1, averageCost: 1),
                BrokerPosition(symbol: "MSFT", securityType: .stock, quantity: 1, averageCost: 1),
            ])
            try await store.createAccount(broker: "tastytrade", accountId: "A")
            try await store.importCSV(text: "symbol,quantity,average_cost\nKO,1,60\n", broker: "tastytrade", accountId: "A")
            pages = try await store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        }
        var options = StoreOptions()
        options.maximumPageCount = pages + 4
        let store = try PositionStore(path: path, options: options)
        let before = try await store.openPositions()

        // Thousands of new rows, and MSFT / KO missing: the closes come after the inserts that fill the disk.
        let tickers = (0..<3000).map { "T\($0)" }
        let report = tickers.map { BrokerPosition(symbol: $0, securityType: .stock, quantity: 1, averageCost: 1) }
        #expect(await storeError { try await store.syncIBKR(accountId: "DU123", positions: report) } == .diskFull(path: path))
        let csv = "symbol,quantity,average_cost\n" + tickers.map { "\($0),1,1" }.joined(separator: "\n")
        #expect(await storeError { try await store.importCSV(text: csv, broker: "tastytrade", accountId: "A") } == .diskFull(path: path))

        #expect(try await store.openPositions() == before)
        #expect(try await store.integrityCheck() == ["ok"])
    }

    @Test func integrityCheckIsOK() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.syncIBKR(accountId: "DU123", positions: [BrokerPosition(symbol: "AAPL", securityType: .stock, quantity: 1, averageCost: 1)])
        #expect(try await store.integrityCheck() == ["ok"])
    }
}
