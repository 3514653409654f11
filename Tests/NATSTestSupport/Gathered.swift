import Dispatch
import Synchronization

/// What a callback delivers (messages, connection events), kept in order, with a wait for a condition on them that
/// ends as soon as an arrival makes it true, or at the timeout: tests await events instead of sleeping.
public final class Gathered<Item: Sendable>: Sendable {
    private struct Waiter {
        let id: Int
        let condition: @Sendable ([Item]) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }
    private struct State {
        var items: [Item] = []
        var waiters: [Waiter] = []
        var nextID = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var items: [Item] { state.withLock { $0.items } }

    public func append(_ item: Item) {
        let ready = state.withLock { state -> [Waiter] in
            state.items.append(item)
            let items = state.items
            let ready = state.waiters.filter { $0.condition(items) }
            state.waiters.removeAll { waiter in ready.contains { $0.id == waiter.id } }
            return ready
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    /// True once `condition` holds over everything gathered so far; false if it did not within `timeout`.
    public func wait(timeout: Duration = .seconds(10), until condition: @escaping @Sendable ([Item]) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> Int? in
                if condition(state.items) { return nil }
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, condition: condition, continuation: continuation))
                return state.nextID
            }
            guard let id else { return continuation.resume(returning: true) }
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
                let expired = state.withLock { state -> Waiter? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                expired?.continuation.resume(returning: false)
            }
        }
    }

    /// True once at least `count` items have arrived.
    public func wait(forCount count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        await wait(timeout: timeout) { $0.count >= count }
    }
}
