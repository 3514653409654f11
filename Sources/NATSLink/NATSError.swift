import CNats

/// What a NATS call can fail with. The few outcomes callers act on have cases of their own (a key already there, a
/// revision moved on, nobody answering, no answer in time); everything else carries the C client's status and text.
public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made (and it is not being retried).
    case connectionFailed(String)
    /// The connection is closed: nothing more can be sent on it.
    case closed
    /// The connection is lost for now (reconnecting) and the options say not to buffer.
    case disconnected
    /// No answer within the time allowed.
    case timeout
    /// A request reached no subscriber (the server said so at once).
    case noResponders
    /// `create` on a key that holds a value.
    case keyExists
    /// `update` with a revision that is no longer the key's latest.
    case wrongRevision
    /// The name is not one NATS accepts (a subject, bucket or key).
    case invalidName(String)
    /// `respond` to a message that asked for no reply.
    case noReplySubject
    /// The waiting task was cancelled.
    case cancelled
    /// Any other failure: the C client's status code and its text.
    case failed(status: Int32, text: String)

    public var description: String {
        switch self {
        case .connectionFailed(let text): "NATS connection failed: \(text)"
        case .closed: "NATS connection closed"
        case .disconnected: "NATS connection lost, reconnecting"
        case .timeout: "NATS: no answer in time"
        case .noResponders: "NATS: no responders"
        case .keyExists: "NATS key-value: the key exists"
        case .wrongRevision: "NATS key-value: wrong last revision"
        case .invalidName(let name): "NATS: invalid name \(name)"
        case .noReplySubject: "NATS: the message has no reply subject"
        case .cancelled: "NATS: cancelled"
        case .failed(let status, let text): "NATS error \(status): \(text)"
        }
    }

    /// The error for a status the C client returned, with the text of its last error on this thread when it has one
    /// (it says more than the status: a JetStream API's description, for instance).
    static func from(_ status: natsStatus) -> NATSError {
        switch status {
        case NATS_TIMEOUT: return .timeout
        case NATS_CONNECTION_CLOSED: return .closed
        case NATS_NO_RESPONDERS: return .noResponders
        default:
            var code = NATS_OK
            let detail = nats_GetLastError(&code).map { String(cString: $0) }
            let text = detail.flatMap { $0.isEmpty ? nil : $0 } ?? String(cString: natsStatus_GetText(status))
            return .failed(status: Int32(status.rawValue), text: text)
        }
    }
}

/// Throws the status as a `NATSError` unless it is `NATS_OK`.
@inline(__always)
func check(_ status: natsStatus) throws(NATSError) {
    if status != NATS_OK { throw NATSError.from(status) }
}
