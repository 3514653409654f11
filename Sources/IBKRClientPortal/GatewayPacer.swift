import IBKR

/// IBKR's pacing of the Client Portal gateway, as a pure decision over a clock the caller passes: 10 requests a
/// second in all, each endpoint's own budget beneath that, and after a 429 the penalty box: nothing at all is sent
/// until it ends (IBKR keeps the address boxed for 15 minutes, and a repeat offender may be blocked for good, so a
/// request refused there is reported, never retried in a loop).
public struct GatewayPacer: Sendable {
    public enum Decision: Equatable, Sendable {
        /// Send now; the tokens are taken.
        case send
        /// Ask again after this many seconds.
        case wait(Double)
        /// In the penalty box until this time (on the pacer's clock): send nothing before.
        case penalized(until: Double)
    }

    private var global: TokenBucket
    private var perEndpoint: [GatewayEndpoint: TokenBucket] = [:]
    public let penaltySeconds: Double
    /// The end of the current penalty, if one is running.
    public private(set) var penaltyUntil: Double?
    /// 429s seen since the start, for the status.
    public private(set) var penalties = 0

    /// - Parameters:
    ///   - requestsPerSecond: the global ceiling in any one-second window (10 at IBKR).
    ///   - now: seconds on a monotonic clock; every later call must use the same clock.
    public init(requestsPerSecond: Double = 10, penaltySeconds: Double = 900, now: Double) {
        // A bucket lets through `burst + rate` in any one-second window: a burst of one and the rest as rate keeps
        // every window at the ceiling, wherever it is placed.
        global = Self.bucket(ceiling: requestsPerSecond * Self.headroom, now: now)
        self.penaltySeconds = penaltySeconds
        for endpoint in GatewayEndpoint.allCases {
            if let least = endpoint.minimumSpacing {
                let spacing = least / Self.headroom
                perEndpoint[endpoint] = spacing >= 1
                    ? TokenBucket(rate: 1 / spacing, burst: 1, now: now)
                    : Self.bucket(ceiling: 1 / spacing, now: now)
            }
        }
    }

    /// The share of each limit the pacer uses. The gateway counts requests as they arrive, not as they were sent,
    /// and two sent a full second apart can arrive closer (a tickle retried just after the session's own, seen
    /// against the simulator): a fifth kept in hand absorbs that.
    public static let headroom = 0.8

    private static func bucket(ceiling: Double, now: Double) -> TokenBucket {
        ceiling >= 2 ? TokenBucket(rate: ceiling - 1, burst: 1, now: now) : TokenBucket(rate: ceiling / 2, burst: 1, now: now)
    }

    /// Whether a call of `endpoint` may go now; `.send` takes its tokens.
    public mutating func request(_ endpoint: GatewayEndpoint, now: Double) -> Decision {
        if let until = penaltyUntil {
            if now < until { return .penalized(until: until) }
            penaltyUntil = nil
        }
        var wait = global.wait(now: now)
        if var own = perEndpoint[endpoint] {
            wait = max(wait, own.wait(now: now))
            perEndpoint[endpoint] = own
        }
        // At least a millisecond: a bucket refilled to within a rounding error of a token would otherwise ask for
        // waits too small to move a clock.
        guard wait <= 0 else { return .wait(max(wait, 0.001)) }
        _ = global.take(now: now)
        if var own = perEndpoint[endpoint] {
            _ = own.take(now: now)
            perEndpoint[endpoint] = own
        }
        return .send
    }

    /// The gateway answered 429: nothing is sent until the penalty ends. A 429 inside a running penalty (an
    /// answer to a request already on its way) does not extend it.
    public mutating func tooManyRequests(now: Double) {
        if let until = penaltyUntil, now < until { return }
        penaltyUntil = now + penaltySeconds
        penalties += 1
    }
}
