import Hub
import Synchronization

/// A value behind a lock, for the few things the service thread shares with other threads. lws and libuv pointers
/// are not Sendable, so a `Mutex` will not hold them: it guards the value from beside it, and this class vouches
/// that the value is only reached through it.
final class Guarded<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = Mutex(())

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { _ in try body(&value) }
    }
}
