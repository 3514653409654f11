/// Exponential backoff with jitter, Tickhub's one: reconnecting to TWS (quick after a blip, patient through a
/// daily restart) and pausing an HTTP provider after a rate limit or an outage.
public struct Backoff: Sendable, Equatable {
    public var initial: Double
    public var cap: Double

    public init(initial: Double = 0.5, cap: Double = 30) {
        self.initial = initial
        self.cap = cap
    }

    /// The delay before retry number `attempt` (1-based), in seconds. `unit` in [0, 1) spreads retries of
    /// many clients over the upper half of the window ("equal jitter"), so they do not stampede a restarted TWS.
    public func delay(attempt: Int, unit: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, initial * Double(1 << exponent))
        return ceiling / 2 + ceiling / 2 * min(max(unit, 0), 1)
    }
}
