import TickhubCore

/// A fired alert's delivery to one of its rule's targets, with the outcome of every attempt, as kept in
/// `alertDelivery` and `alertDeliveryAttempt` and shown by `GET /api/alerts/deliveries`.
public struct AlertDelivery: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Attempts are still to come.
        case pending
        case delivered
        /// Every attempt failed, or one failed in a way another would not mend (a 4xx, no token).
        case failed
    }

    public struct Attempt: Sendable, Equatable {
        /// 1-based.
        public var attempt: Int
        /// Milliseconds since the epoch when it started.
        public var at: Int64
        public var delivered: Bool
        /// The HTTP status the target answered, nil when none came (refused, timed out).
        public var status: Int?
        /// What happened, in words fit to show: never a token or a URL's credentials.
        public var detail: String
        public var durationMs: Int64

        public init(attempt: Int, at: Int64, delivered: Bool, status: Int?, detail: String, durationMs: Int64) {
            self.attempt = attempt
            self.at = at
            self.delivered = delivered
            self.status = status
            self.detail = detail
            self.durationMs = durationMs
        }
    }

    public var id: Int64
    public var fired: AlertFired
    /// `webhook` or `telegram`.
    public var targetType: String
    /// The webhook's URL without credentials or query, or the Telegram chat id.
    public var target: String
    public var state: State
    public var attempts: [Attempt]

    public init(id: Int64, fired: AlertFired, targetType: String, target: String, state: State, attempts: [Attempt]) {
        self.id = id
        self.fired = fired
        self.targetType = targetType
        self.target = target
        self.state = state
        self.attempts = attempts
    }
}
