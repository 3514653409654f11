import CNats
import Dispatch
import Synchronization

/// Where a connection's requests get their answers: one wildcard subscription on an inbox of its own, each request a
/// token under it, so a request waits without a thread (the C client's own request call blocks one).
final class ReplyInbox: Sendable {
    typealias Waiter = CheckedContinuation<Result<NATSMessage, NATSError>, Never>

    let prefix: String
    private struct State {
        var next: UInt64 = 0
        var waiting: [UInt64: Waiter] = [:]
        /// Requests cancelled before they were waiting: they finish as soon as they start to.
        var cancelled: Set<UInt64> = []
    }
    private let state = Mutex(State())

    init(prefix: String) {
        self.prefix = prefix
    }

    func nextToken() -> UInt64 {
        state.withLock { state in
            state.next += 1
            return state.next
        }
    }

    func replySubject(for token: UInt64) -> String { "\(prefix).\(token)" }

    /// Waits for the answer to `token`; false when it was cancelled already (the waiter is then finished).
    func wait(_ token: UInt64, _ waiter: Waiter) -> Bool {
        let cancelledEarly = state.withLock { state in
            if state.cancelled.remove(token) != nil { return true }
            state.waiting[token] = waiter
            return false
        }
        if cancelledEarly { waiter.resume(returning: .failure(.cancelled)) }
        return !cancelledEarly
    }

    func finish(_ token: UInt64, _ result: Result<NATSMessage, NATSError>) {
        state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(returning: result)
    }

    func cancel(_ token: UInt64) {
        let waiter = state.withLock { state in
            let waiter = state.waiting.removeValue(forKey: token)
            if waiter == nil { state.cancelled.insert(token) }
            return waiter
        }
        waiter?.resume(returning: .failure(.cancelled))
    }

    /// An answer arrived on the inbox (the C message, still the client's).
    func deliver(_ message: OpaquePointer) {
        let subject = String(cString: natsMsg_GetSubject(message))
        guard let dot = subject.lastIndex(of: "."), let token = UInt64(subject[subject.index(after: dot)...]) else { return }
        finish(token, natsMsg_IsNoResponders(message) ? .failure(.noResponders) : .success(NATSMessage(copying: message)))
    }

    /// Fails every waiting request (the connection closed).
    func failAll(_ error: NATSError) {
        let waiters = state.withLock { state in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.resume(returning: .failure(error)) }
    }
}
