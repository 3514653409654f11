import CNats
import Synchronization

/// Interest in a subject: its handler runs on the C client's delivery thread for this subscription, one message at a
/// time. It lasts until `unsubscribe()` or the connection's `close()`, whether or not this object is kept.
public final class NATSSubscription: Sendable {
    public let subject: String
    nonisolated(unsafe) private let handle: OpaquePointer
    private let ended = Atomic<Bool>(false)
    private let onEnd: @Sendable (ObjectIdentifier) -> Void

    init(subject: String, handle: OpaquePointer, onEnd: @escaping @Sendable (ObjectIdentifier) -> Void) {
        self.subject = subject
        self.handle = handle
        self.onEnd = onEnd
    }

    deinit {
        natsSubscription_Destroy(handle)
    }

    /// Ends the interest: no message is handled once the handler running now (if any) returns.
    public func unsubscribe() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = natsSubscription_Unsubscribe(handle)
        onEnd(ObjectIdentifier(self))
    }

    /// Messages dropped because the handler fell behind by more than the pending limits.
    public var dropped: Int64 {
        var count: Int64 = 0
        return natsSubscription_GetDropped(handle, &count) == NATS_OK ? count : 0
    }

    /// Messages received and not yet handled.
    public var pending: Int {
        var messages: Int32 = 0
        var bytes: Int32 = 0
        return natsSubscription_GetPending(handle, &messages, &bytes) == NATS_OK ? Int(messages) : 0
    }
}

/// A subscription's handler, kept alive for the C client until it reports the subscription complete (its last
/// message handled), so that a closing subscription never calls into freed memory.
final class MessageHandlerBox: Sendable {
    let handle: @Sendable (OpaquePointer) -> Void

    init(_ handle: @escaping @Sendable (OpaquePointer) -> Void) {
        self.handle = handle
    }

    static let onMessage: natsMsgHandler = { _, _, message, closure in
        guard let message else { return }
        if let closure {
            Unmanaged<MessageHandlerBox>.fromOpaque(closure).takeUnretainedValue().handle(message)
        }
        natsMsg_Destroy(message)
    }

    static let onComplete: natsOnCompleteCB = { closure in
        if let closure { Unmanaged<MessageHandlerBox>.fromOpaque(closure).release() }
    }
}
