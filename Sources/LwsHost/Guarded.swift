import Hub
import Foundation

/// A value behind a lock, for the few things the service thread shares with other threads
/// (lws and libuv pointers are not Sendable, so `Mutex` will not hold them).
final class Guarded<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
