/// IBKR's pacing of historical-data requests as a queue: requests wait their turn here instead of being sent,
/// refused with 162 and sent again in a storm.
///
/// IBKR's rules (TWS API "Historical Data Limitations"): no identical request within 15 s; six or more for one
/// contract, exchange and tick type within 2 s is a violation; at most 60 in any 10 minutes; BID_ASK counts
/// twice; at most 50 open at once. Pure: every call takes the time, on any monotonic clock in seconds, so a test
/// moves the clock itself.
public struct HistoricalPacer: Sendable {
    public struct Limits: Sendable, Equatable {
        /// An identical request again within this many seconds is a violation.
        public var identicalWindow = 15.0
        /// At most this many (weighted) requests for one contract, exchange and tick type in `burstWindow`:
        /// IBKR counts six as a violation.
        public var burst = 5
        public var burstWindow = 2.0
        /// At most this many (weighted) requests in any `window` seconds.
        public var perWindow = 60
        public var window = 600.0
        /// Requests open at once: sent and not yet answered, and keepUpToDate ones until cancelled.
        public var open = 50
        /// Added to every window: TWS starts its clock when a request arrives, a moment after it left here, so a
        /// request sent exactly on the edge could arrive inside the window of the one before it.
        public var margin = 0.25

        public init() {}
    }

    /// One request waiting for its turn.
    public struct Request: Sendable, Equatable {
        /// The owner's handle for it.
        public var ticket: Int
        /// What the burst rule counts by: the contract, its exchange and the tick type.
        public var series: String
        /// What makes two requests identical (besides `series`): every other term of the request.
        public var terms: String
        /// 2 for BID_ASK, which IBKR counts twice; else 1.
        public var weight: Int
        /// Not before this time (a request refused for pacing anyway waits a full identical window).
        public var notBefore: Double

        public init(ticket: Int, series: String, terms: String, weight: Int = 1, notBefore: Double = 0) {
            self.ticket = ticket
            self.series = series
            self.terms = terms
            self.weight = weight
            self.notBefore = notBefore
        }
    }

    private struct Sent {
        var ticket: Int
        /// When it was released, then when its answer came.
        var time: Double
        var series: String
        var terms: String
        var weight: Int
        /// Until its answer comes, a request may be reaching TWS only now (behind others TWS is still working
        /// through), so it counts as sent at every moment until then; its answer is the latest TWS can have
        /// counted it.
        var answered = false

        func time(at now: Double) -> Double { answered ? time : max(time, now) }
    }

    public let limits: Limits
    public private(set) var waiting: [Request] = []
    /// Tickets sent and not yet finished.
    public private(set) var open: Set<Int> = []
    /// Sent requests young enough to count against a window, oldest first.
    private var sent: [Sent] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public mutating func enqueue(_ request: Request) {
        waiting.append(request)
    }

    /// Takes a request out of the queue before it was sent; false when it is not waiting.
    @discardableResult
    public mutating func withdraw(_ ticket: Int) -> Bool {
        guard let index = waiting.firstIndex(where: { $0.ticket == ticket }) else { return false }
        waiting.remove(at: index)
        return true
    }

    /// TWS answered the request (a keepUpToDate one stays open): from now on it counts against the windows as
    /// sent at `now`.
    public mutating func answered(_ ticket: Int, now: Double) {
        for index in sent.indices where sent[index].ticket == ticket && !sent[index].answered {
            sent[index].time = max(sent[index].time, now)
            sent[index].answered = true
        }
    }

    /// The request was answered, failed or cancelled: it no longer counts as open. It still counts against the
    /// windows, as it does at IBKR.
    public mutating func finished(_ ticket: Int, now: Double) {
        answered(ticket, now: now)
        open.remove(ticket)
    }

    /// The connection is gone: TWS has forgotten every open request, and nothing waiting can be sent on it.
    /// What was sent still counts against the windows (IBKR paces the account, not the socket).
    public mutating func connectionLost(now: Double) {
        for ticket in open { answered(ticket, now: now) }
        open = []
        waiting = []
    }

    /// The requests that may go now (at most `limit`), in queue order, taken out of the queue and counted as sent
    /// and open. A request held back by its own contract's burst or by an identical one does not hold back the
    /// others. The owner must send them at once: the windows count from now.
    public mutating func due(now: Double, limit: Int = .max) -> [Request] {
        prune(now)
        var released: [Request] = []
        var index = 0
        while index < waiting.count, released.count < limit {
            let request = waiting[index]
            if open.count < limits.open, readyAt(request, now: now) <= now {
                waiting.remove(at: index)
                open.insert(request.ticket)
                sent.append(Sent(ticket: request.ticket, time: now, series: request.series, terms: request.terms, weight: request.weight))
                released.append(request)
            } else {
                index += 1
            }
        }
        return released
    }

    /// When the next waiting request may go, if nothing else is sent meanwhile; nil when nothing waits, or all
    /// that waits is held by the open limit (a finished request frees it, not time).
    public func nextDue(now: Double) -> Double? {
        guard open.count < limits.open else { return nil }
        return waiting.map { max(now, readyAt($0, now: now)) }.min()
    }

    /// The earliest time `request` satisfies the windows and its own `notBefore`, given what was sent so far.
    private func readyAt(_ request: Request, now: Double) -> Double {
        var ready = request.notBefore
        let identical = limits.identicalWindow + limits.margin
        for entry in sent where entry.series == request.series && entry.terms == request.terms {
            ready = max(ready, entry.time(at: now) + identical)
        }
        ready = max(ready, Self.roomAt(
            sent.filter { $0.series == request.series }, weight: request.weight, limit: limits.burst,
            window: limits.burstWindow + limits.margin, now: now))
        ready = max(ready, Self.roomAt(
            sent, weight: request.weight, limit: limits.perWindow, window: limits.window + limits.margin, now: now))
        return ready
    }

    /// When enough of `entries` (oldest first) have left a `window` that ends at that time for `weight` more to
    /// fit under `limit`.
    private static func roomAt(_ entries: [Sent], weight: Int, limit: Int, window: Double, now: Double) -> Double {
        let inWindow = entries.map { (time: $0.time(at: now), weight: $0.weight) }
            .filter { now - $0.time < window }.sorted { $0.time < $1.time }
        var excess = inWindow.reduce(0) { $0 + $1.weight } + weight - limit
        guard excess > 0 else { return now }
        for entry in inWindow {
            excess -= entry.weight
            if excess <= 0 { return entry.time + window }
        }
        // More weight than the limit allows at all: let it go alone once the window is empty.
        return (inWindow.last?.time ?? now) + window
    }

    private mutating func prune(_ now: Double) {
        let longest = max(limits.identicalWindow, limits.burstWindow, limits.window) + limits.margin
        sent.removeAll { $0.answered && now - $0.time >= longest }
    }
}
