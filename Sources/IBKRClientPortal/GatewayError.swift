/// Why a call to the gateway gave nothing usable.
public enum GatewayError: Error, Equatable, Sendable {
    /// The gateway cannot be reached (refused, reset, timed out, TLS refused).
    case unreachable(String)
    /// 401, or a session the gateway no longer knows: someone has to log in at the gateway's page.
    case notAuthenticated
    /// Another session (TWS, the mobile app, a second gateway) holds this username's brokerage session.
    case competing
    /// IBKR's penalty box after a 429: nothing may be sent before this time (seconds on the pacer's clock).
    case penalized(until: Double)
    /// Any other answer than 2xx.
    case status(Int, String)
    /// A 2xx answer that is not the JSON expected.
    case malformed(String)
    /// The settings cannot work (an unreadable pinned certificate).
    case configuration(String)
}

extension GatewayError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .unreachable(detail): "the gateway cannot be reached: \(detail)"
        case .notAuthenticated: "not logged in at the gateway"
        case .competing: "another session holds the brokerage session"
        case .penalized: "in IBKR's penalty box after a 429"
        case let .status(code, body): "the gateway answered \(code): \(body)"
        case let .malformed(detail): "unreadable answer: \(detail)"
        case let .configuration(detail): detail
        }
    }
}
