import Foundation
import TickhubCore

/// Where a provider sends its events, with its last reported health so only changes go out.
final class ProviderEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var sink: (@Sendable (ProviderEvent) -> Void)?
    private var lastHealth: ProviderHealth?

    func connect(_ sink: @escaping @Sendable (ProviderEvent) -> Void) {
        lock.withLock { self.sink = sink }
    }

    func emit(_ event: ProviderEvent) {
        lock.withLock { sink }?(event)
    }

    /// Reports health when it differs from the last report.
    func report(_ health: ProviderHealth) {
        let changed = lock.withLock { () -> Bool in
            guard lastHealth != health else { return false }
            lastHealth = health
            return true
        }
        if changed { emit(.health(health)) }
    }
}
