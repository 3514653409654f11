import IBKRClientPortal
import Testing

/// The gateway's pacing on a clock the test moves: 10 a second in all, the endpoints' own budgets, and the
/// penalty box after a 429.
@Suite("GatewayPacer")
struct GatewayPacerTests {
    /// A caller that sends whenever the pacer lets it and otherwise waits exactly as long as it is told, for
    /// `count` calls of `endpoints` in turn; the times each was sent.
    static func drain(_ pacer: inout GatewayPacer, _ endpoints: [GatewayEndpoint], count: Int, from start: Double = 0) -> [(GatewayEndpoint, Double)] {
        var now = start
        var sent: [(GatewayEndpoint, Double)] = []
        var asks = 0
        while sent.count < count, asks < count * 100 {
            asks += 1
            let endpoint = endpoints[sent.count % endpoints.count]
            switch pacer.request(endpoint, now: now) {
            case .send: sent.append((endpoint, now))
            case let .wait(seconds): now += seconds
            case let .penalized(until): now = until
            }
        }
        return sent
    }

    /// The most sends in any window [t, t + width); the worst one starts at a send.
    static func busiest(_ times: [Double], width: Double) -> Int {
        var best = 0
        for (i, start) in times.enumerated() {
            best = max(best, times[i...].prefix { $0 < start + width - 1e-9 }.count)
        }
        return best
    }

    @Test("a burst of 500 snapshot requests never goes over 10 in any second")
    func burstOf500() {
        var pacer = GatewayPacer(now: 0)
        let sent = Self.drain(&pacer, [.snapshot], count: 500)
        #expect(sent.count == 500)
        let times = sent.map(\.1)
        #expect(Self.busiest(times, width: 1) <= 10)
        // Not slower than it must be either: with a fifth of the limit in hand (a burst of one, then 7 a second)
        // 500 take about 71 s.
        #expect(times.last! < 75)
    }

    @Test("mixed endpoints: the global 10 a second, and each endpoint's own spacing")
    func mixedBudgets() {
        var pacer = GatewayPacer(now: 0)
        let endpoints: [GatewayEndpoint] = [.secdefSearch, .tickle, .snapshot, .portfolioAccounts, .partitionedPnL, .snapshot]
        let sent = Self.drain(&pacer, endpoints, count: 120)
        #expect(sent.count == 120)
        #expect(Self.busiest(sent.map(\.1), width: 1) <= 10)
        let tickles = sent.filter { $0.0 == .tickle }.map(\.1)
        #expect(Self.busiest(tickles, width: 1) <= 1)
        for slow in [GatewayEndpoint.portfolioAccounts, .partitionedPnL] {
            let times = sent.filter { $0.0 == slow }.map(\.1)
            #expect(times.count >= 2)
            #expect(Self.busiest(times, width: 5) <= 1, "\(slow) more than once in 5 s")
        }
    }

    @Test("a lower ceiling holds too")
    func lowerCeiling() {
        var pacer = GatewayPacer(requestsPerSecond: 4, now: 0)
        let sent = Self.drain(&pacer, [.secdefSearch], count: 60)
        #expect(Self.busiest(sent.map(\.1), width: 1) <= 4)
    }

    @Test("a 429 stops everything until the penalty ends, then sending resumes at the usual pace")
    func penaltyBox() {
        var pacer = GatewayPacer(penaltySeconds: 900, now: 0)
        #expect(pacer.request(.snapshot, now: 0) == .send)
        pacer.tooManyRequests(now: 0.5)
        #expect(pacer.penalties == 1)
        for endpoint in GatewayEndpoint.allCases {
            #expect(pacer.request(endpoint, now: 1) == .penalized(until: 900.5))
        }
        // An answer to a request already on its way does not push the end out.
        pacer.tooManyRequests(now: 600)
        #expect(pacer.penalties == 1)
        #expect(pacer.request(.tickle, now: 900.4) == .penalized(until: 900.5))
        #expect(pacer.request(.tickle, now: 900.5) == .send)
        #expect(pacer.penaltyUntil == nil)
        let sent = Self.drain(&pacer, [.snapshot], count: 30, from: 900.5)
        #expect(Self.busiest(sent.map(\.1), width: 1) <= 10)
        // A new 429 after the penalty starts a new one.
        pacer.tooManyRequests(now: 1000)
        #expect(pacer.penalties == 2)
        #expect(pacer.request(.snapshot, now: 1000) == .penalized(until: 1900))
    }

    @Test("waiting is told in seconds, not found by asking in a loop")
    func waitsAreExact() {
        var pacer = GatewayPacer(now: 0)
        #expect(pacer.request(.portfolioAccounts, now: 0) == .send)
        guard case let .wait(seconds) = pacer.request(.portfolioAccounts, now: 0) else {
            Issue.record("a second call within 5 s was let through")
            return
        }
        // 5 s, and the fifth kept in hand.
        #expect(abs(seconds - 5 / GatewayPacer.headroom) < 1e-9)
        #expect(pacer.request(.portfolioAccounts, now: seconds) == .send)
    }
}
