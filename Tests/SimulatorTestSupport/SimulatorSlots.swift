/// A counting semaphore for simulators alive at once in a test run: each has its own threads and tick timer, and
/// a two-core machine shared with builds stays responsive (and timing assertions meaningful) with a few, not forty.
public actor SimulatorSlots {
    public let limit: Int
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) {
        self.limit = limit
        available = limit
    }

    /// Runs `body` once a slot is free, and frees it after, whatever `body` does.
    public nonisolated func holding<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
