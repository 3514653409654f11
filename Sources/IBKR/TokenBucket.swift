/// Outgoing pacing: TWS allows 50 messages a second from a client and disconnects persistent offenders.
///
/// A bucket of `burst` tokens refilled at `rate` per second lets through at most `burst + rate` messages in any
/// one-second window, so 45/s with a burst of 5 stays at or under 50 however the window is placed.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updatedAt: Double

    /// - Parameter now: seconds on any monotonic clock; the same clock must be used for every call.
    public init(rate: Double = 45, burst: Double = 5, now: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        updatedAt = now
    }

    private mutating func refill(_ now: Double) {
        tokens = min(burst, tokens + max(0, now - updatedAt) * rate)
        updatedAt = now
    }

    /// Takes a token if one is available.
    public mutating func take(now: Double) -> Bool {
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whole tokens available now.
    public mutating func available(now: Double) -> Int {
        refill(now)
        return Int(tokens)
    }

    /// Seconds until the next token.
    public mutating func wait(now: Double) -> Double {
        refill(now)
        return tokens >= 1 ? 0 : (1 - tokens) / rate
    }
}
