import Foundation
import Testing
@testable import Store

/// A fresh directory under the system temporary directory, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("tickhub-store-\(UUID().uuidString)")
    }

    func file(_ name: String = "tickhub.sqlite") -> String { (path as NSString).appendingPathComponent(name) }

    deinit {
        // Undo any chmod a test made, then remove everything.
        chmod(path, 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(_ start: Int64 = 1_700_000_000_000) { value = start }

    var now: Int64 { lock.withLock { value } }

    func advance(by milliseconds: Int64) { lock.withLock { value += milliseconds } }
}

func openStore(_ path: String, clock: TestClock? = nil, readOnly: Bool = false) throws(StoreError) -> PositionStore {
    var options = StoreOptions(readOnly: readOnly)
    if let clock { options.clock = { clock.now } }
    return try PositionStore(path: path, options: options)
}

/// Runs `body` and returns the `StoreError` it threw; records a failure if it succeeded or threw anything else.
func storeError<T>(
    _ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation
) async -> StoreError? {
    do {
        _ = try await body()
        Issue.record("expected a StoreError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The issues of a `.csvImport` error, or [] (and a recorded failure) for anything else.
func csvIssues(_ error: StoreError?, sourceLocation: SourceLocation = #_sourceLocation) -> [CSVImportIssue] {
    guard case let .csvImport(issues) = error else {
        Issue.record("expected .csvImport, got \(String(describing: error))", sourceLocation: sourceLocation)
        return []
    }
    return issues
}

extension PositionDraft {
    static func stock(_ symbol: String, _ quantity: Double, at cost: Double) -> PositionDraft {
        PositionDraft(symbol: symbol, quantity: quantity, averageCost: cost)
    }
}

/// Waits for a semaphore on a global queue, keeping Swift's cooperative threads free.
func wait(for semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            semaphore.wait()
            continuation.resume()
        }
    }
}
