import CNats

/// The handler of a connection's events, given to the C client as its callbacks' closure; released by the closed
/// callback, the last the client makes.
final class ConnectionEvents: Sendable {
    let report: @Sendable (NATSEvent) -> Void

    init(_ report: @escaping @Sendable (NATSEvent) -> Void) {
        self.report = report
    }

    private static func of(_ closure: UnsafeMutableRawPointer?) -> ConnectionEvents? {
        closure.map { Unmanaged<ConnectionEvents>.fromOpaque($0).takeUnretainedValue() }
    }

    static let onDisconnected: natsConnectionHandler = { _, closure in of(closure)?.report(.disconnected) }
    static let onReconnected: natsConnectionHandler = { _, closure in of(closure)?.report(.reconnected) }
    /// The first connection, made in the background after `connect` found no server.
    static let onConnected: natsConnectionHandler = { _, closure in of(closure)?.report(.reconnected) }
    static let onClosed: natsConnectionHandler = { _, closure in
        guard let closure else { return }
        let events = Unmanaged<ConnectionEvents>.fromOpaque(closure)
        events.takeUnretainedValue().report(.closed)
        events.release()
    }
    static let onError: natsErrHandler = { _, subscription, status, closure in
        guard let events = of(closure) else { return }
        if status == NATS_SLOW_CONSUMER, let subscription {
            events.report(.slowConsumer(subject: String(cString: natsSubscription_GetSubject(subscription))))
        } else {
            events.report(.error(String(cString: natsStatus_GetText(status))))
        }
    }
}
