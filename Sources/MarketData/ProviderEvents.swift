import Synchronization
import TickhubCore

/// Where a provider sends its events, with its last reported health so only changes go out.
final class ProviderEvents: Sendable {
    private struct State {
        var sink: (@Sendable (ProviderEvent) -> Void)?
        var lastHealth: ProviderHealth?
    }

    private let state = Mutex(State())

    func connect(_ sink: @escaping @Sendable (ProviderEvent) -> Void) {
        state.withLock { $0.sink = sink }
    }

    func emit(_ event: ProviderEvent) {
        state.withLock { $0.sink }?(event)
    }

    /// Reports health when it differs from the last report.
    func report(_ health: ProviderHealth) {
        let changed = state.withLock { state -> Bool in
            guard state.lastHealth != health else { return false }
            state.lastHealth = health
            return true
        }
        if changed { emit(.health(health)) }
    }
}
