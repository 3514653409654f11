/// Faults of the simulated Client Portal Gateway, injected on the simulator's control port (`POST /fault/cp-…`).
public enum ClientPortalFault: Sendable, Equatable {
    /// The gateway is logged out: auth status says so, data endpoints answer 401, WebSockets close. Only a new
    /// login (`loggedIn`) ends it, as only the user's browser login with 2FA does at IBKR.
    case loggedOut
    case loggedIn
    /// Another platform took the brokerage session: no market data until `ssodh/init` with `compete: true`, or
    /// `competingEnded`.
    case competing
    case competingEnded
    /// The brokerage session ended (its 24 hours, or the regional midnight): 401 until `ssodh/init` or
    /// `reauthenticate` opens a new one, with a new session token; market-data subscriptions are gone.
    case sessionExpired
    /// The client's IP goes into the penalty box now: every request gets 429 for this long.
    case penalty(seconds: Double)
    /// IBKR's nightly maintenance: `/iserver` answers 503 for this long, WebSockets drop and are refused.
    case outage(seconds: Double)
    /// Every WebSocket is closed; REST goes on.
    case dropWebSockets
    /// Trading in a symbol is halted: its last price is marked "H" until `resumed`.
    case halted(symbol: String)
    case resumed(symbol: String)

    /// Parses a control path (`/fault/cp-…`); nil for one that is not a Client Portal fault.
    public static func parse(path: String, query: [String: String]) -> ClientPortalFault? {
        func seconds(_ fallback: Double) -> Double {
            guard let text = query["seconds"], let value = Double(text), value >= 0, value.isFinite else { return fallback }
            return value
        }
        switch path {
        case "/fault/cp-logged-out": return .loggedOut
        case "/fault/cp-logged-in": return .loggedIn
        case "/fault/cp-competing": return .competing
        case "/fault/cp-competing-ended": return .competingEnded
        case "/fault/cp-session-expired": return .sessionExpired
        case "/fault/cp-penalty": return .penalty(seconds: seconds(600))
        case "/fault/cp-outage": return .outage(seconds: seconds(60))
        case "/fault/cp-drop-websocket": return .dropWebSockets
        case "/fault/cp-halt": return query["symbol"].flatMap { $0.isEmpty ? nil : .halted(symbol: $0) }
        case "/fault/cp-resume": return query["symbol"].flatMap { $0.isEmpty ? nil : .resumed(symbol: $0) }
        default: return nil
        }
    }
}
