import Dispatch

/// A serial queue of the module's own for the C client's blocking calls (JetStream requests, flushes): an `async`
/// caller waits without holding one of Swift's cooperative threads, which the hub's work needs. One lane per bucket,
/// so that a slow bucket never delays another's calls (the leader lease's renewal behind a burst of quote writes).
final class BlockingLane: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws(NATSError) -> T) async throws(NATSError) -> T {
        let result: Result<T, NATSError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(NATSError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
