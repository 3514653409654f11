/// Faults a test or demo can inject into a running simulator.
public enum Fault: Sendable, Equatable {
    /// Close every client connection, as a TWS restart does.
    case dropConnections
    /// Stop listening for this long (clients get "connection refused"), dropping current connections too.
    case refuseConnections(seconds: Double)
    /// 1100: TWS lost its link to IBKR. The API socket stays up; ticks stop.
    case connectivityLost
    /// 1101 (dataLost: subscriptions are gone until re-requested) or 1102 (kept; ticks resume).
    case connectivityRestored(dataLost: Bool)
    /// 2103: the market-data farm is down; ticks pause until `farmRestored`.
    case farmBroken
    /// 2104: the farm is back.
    case farmRestored
    /// 10197 on every ticker: a competing live session took the data; ticks stop until `competingSessionEnded`.
    case competingSession
    case competingSessionEnded
    /// Every open connection stays open but hears nothing for this long, not even answers to its requests: a
    /// hung TWS. Connections made meanwhile are served as usual.
    case stall(seconds: Double)
    /// Send a frame the client cannot decode.
    case malformedFrame(MalformedFrame)

    public enum MalformedFrame: String, Sendable {
        /// A tickPrice whose price field is not a number.
        case badField = "field"
        /// A length prefix far beyond any sane frame.
        case hugeLength = "length"
        /// A tickPrice cut short.
        case truncated = "truncated"
    }
}
