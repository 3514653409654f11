import NIOCore

/// The gateway's request pacing: a budget for all requests and some per endpoint, over sliding windows; breaking
/// any puts the client in the penalty box, where every request gets 429 until it has served its time.
///
/// One client (the loopback address) is all a simulator has, so the box holds one client, as IBKR's holds an IP.
struct GatewayPacing {
    enum Verdict: Equatable {
        case allowed
        /// Refused: in the box until then (a limit just broken, or an earlier one).
        case penalized(until: NIODeadline)
    }

    let configuration: ClientPortalConfiguration
    private var recent: [NIODeadline] = []
    private var recentByEndpoint: [String: [NIODeadline]] = [:]
    private(set) var penaltyUntil: NIODeadline?
    /// Requests refused with 429, for status and tests.
    private(set) var refused = 0

    init(configuration: ClientPortalConfiguration) { self.configuration = configuration }

    /// Counts a request to `endpoint` (its path under /v1/api) at `now`, or refuses it.
    mutating func admit(_ endpoint: String, now: NIODeadline = .now()) -> Verdict {
        if let until = penaltyUntil {
            if now < until {
                refused += 1
                return .penalized(until: until)
            }
            penaltyUntil = nil
        }
        guard configuration.requestsPerSecond > 0 else { return .allowed }
        let second = TimeAmount.seconds(1)
        recent.removeAll { now - $0 >= second }
        if recent.count >= configuration.requestsPerSecond { return punish(now) }
        if let budget = configuration.endpointBudgets[endpoint] {
            let window = TimeAmount.nanoseconds(Int64(budget.seconds * 1e9))
            var times = recentByEndpoint[endpoint, default: []]
            times.removeAll { now - $0 >= window }
            if times.count >= budget.requests { return punish(now) }
            times.append(now)
            recentByEndpoint[endpoint] = times
        }
        recent.append(now)
        return .allowed
    }

    /// Into the box from `now`, as the control port's 429 fault does.
    mutating func penalize(seconds: Double, now: NIODeadline = .now()) {
        penaltyUntil = now + .nanoseconds(Int64(seconds * 1e9))
    }

    private mutating func punish(_ now: NIODeadline) -> Verdict {
        penalize(seconds: configuration.penaltySeconds, now: now)
        refused += 1
        return .penalized(until: penaltyUntil!)
    }
}
