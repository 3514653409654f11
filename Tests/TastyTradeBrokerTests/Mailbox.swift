import Foundation
import NIOConcurrencyHelpers

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// What a callback delivered, in order, with its arrival time; a test awaits the first item that matches, bounded
/// in time, woken by the delivery itself rather than by polling.
final class Mailbox<Item: Sendable>: Sendable {
    struct Arrival: Sendable {
        let item: Item
        let at: ContinuousClock.Instant
    }

    private struct Waiter {
        let from: Int
        let matches: @Sendable (Item) -> Bool
        let continuation: CheckedContinuation<Arrival?, Never>
    }

    private let state = NIOLockedValueBox<(items: [Arrival], waiters: [UUID: Waiter])>(([], [:]))

    init() {}

    func put(_ item: Item) {
        let arrival = Arrival(item: item, at: .now)
        let woken = state.withLockedValue { state -> [CheckedContinuation<Arrival?, Never>] in
            state.items.append(arrival)
            let ready = state.waiters.filter { $0.value.matches(item) }
            for key in ready.keys { state.waiters[key] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: arrival) }
    }

    var items: [Item] { state.withLockedValue { $0.items.map(\.item) } }
    var count: Int { state.withLockedValue { $0.items.count } }

    /// The first item from index `from` on that matches, waiting up to `timeout` for it.
    @discardableResult
    func first(
        _ what: String, from: Int = 0, timeout: Duration = .seconds(10), where matches: @escaping @Sendable (Item) -> Bool
    ) async throws -> Arrival {
        let key = UUID()
        let arrival: Arrival? = await withCheckedContinuation { continuation in
            let found = state.withLockedValue { state -> Arrival? in
                if let hit = state.items.dropFirst(from).first(where: { matches($0.item) }) { return hit }
                state.waiters[key] = Waiter(from: from, matches: matches, continuation: continuation)
                return nil
            }
            if let found {
                continuation.resume(returning: found)
                return
            }
            Task { [state] in
                try? await Task.sleep(for: timeout)
                let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: key) }
                waiter?.continuation.resume(returning: nil)
            }
        }
        guard let arrival else { throw TimedOut(what: what) }
        return arrival
    }
}
