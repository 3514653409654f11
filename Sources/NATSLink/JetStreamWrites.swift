import CNats
import Synchronization

/// Counts the key-value writes sent without waiting (`NATSKeyValue.putNoWait`) that the server refused or never
/// acknowledged; the C client reports them on its own thread.
final class JetStreamWrites: Sendable {
    let failed = Atomic<UInt64>(0)

    /// The counter as the C client's closure. It is retained for good: the C client may report a failure on its
    /// thread while the connection is being torn down, and one counter per connection is a price worth that safety.
    var closure: UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static let onFailure: jsPubAckErrHandler = { _, _, closure in
        guard let closure else { return }
        Unmanaged<JetStreamWrites>.fromOpaque(closure).takeUnretainedValue().failed.add(1, ordering: .relaxed)
    }
}
