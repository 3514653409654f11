/// What happens to a connection on its own: reported from the C client's callback thread, in order.
public enum NATSEvent: Sendable, Equatable {
    /// The link to the server was lost; the client is reconnecting (messages published meanwhile are buffered).
    case disconnected
    /// Connected again (also the first connection when `retryOnFailedConnect` had to wait for the server): the
    /// subscriptions are in place again.
    case reconnected
    /// Closed for good: by `close()`, or when reconnecting gave up.
    case closed
    /// An asynchronous error the server or the client reported.
    case error(String)
    /// A subscription's pending queue was full and messages for it were dropped (its `dropped` counts them).
    case slowConsumer(subject: String)
}
