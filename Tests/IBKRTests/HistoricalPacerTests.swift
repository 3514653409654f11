import IBKR
import Testing
import TickhubCore

/// IBKR's historical pacing as a queue, on a clock the test moves.
@Suite("HistoricalPacer")
struct HistoricalPacerTests {
    static func request(_ ticket: Int, _ series: String = "AAPL@SMART|TRADES", terms: String? = nil, weight: Int = 1) -> HistoricalPacer.Request {
        HistoricalPacer.Request(ticket: ticket, series: series, terms: terms ?? "terms \(ticket)", weight: weight)
    }

    // A mutating call cannot sit inside #expect.
    func due(_ pacer: inout HistoricalPacer, _ now: Double) -> [Int] { pacer.due(now: now).map(\.ticket) }

    /// Released and answered at once: each counts from `now`.
    func answeredAtOnce(_ pacer: inout HistoricalPacer, _ now: Double) -> [Int] {
        let tickets = due(&pacer, now)
        for ticket in tickets { pacer.answered(ticket, now: now) }
        return tickets
    }

    @Test func anIdenticalRequestWaitsOutTheIdenticalWindow() {
        var pacer = HistoricalPacer()
        pacer.enqueue(Self.request(1, terms: "same"))
        #expect(due(&pacer, 0) == [1])
        pacer.finished(1, now: 0)
        pacer.enqueue(Self.request(2, terms: "same"))
        pacer.enqueue(Self.request(3, terms: "other"))
        // The identical one waits; the other one is not held back by it.
        #expect(due(&pacer, 1) == [3])
        #expect(pacer.nextDue(now: 1) == 15.25)
        #expect(due(&pacer, 15.2).isEmpty)
        #expect(due(&pacer, 15.25) == [2])
        #expect(pacer.nextDue(now: 15.25) == nil)
    }

    @Test func atMostFiveForOneSeriesInTwoSeconds() {
        var pacer = HistoricalPacer()
        for ticket in 1...7 { pacer.enqueue(Self.request(ticket)) }
        pacer.enqueue(Self.request(8, "MSFT@SMART|TRADES"))
        #expect(answeredAtOnce(&pacer, 0) == [1, 2, 3, 4, 5, 8])
        #expect(pacer.nextDue(now: 0.5) == 2.25)
        #expect(due(&pacer, 2.24).isEmpty)
        #expect(due(&pacer, 2.25) == [6, 7])
    }

    @Test func bidAskCountsTwice() {
        var pacer = HistoricalPacer()
        for ticket in 1...3 { pacer.enqueue(Self.request(ticket, "EUR.USD@IDEALPRO|BID_ASK", weight: 2)) }
        #expect(answeredAtOnce(&pacer, 0) == [1, 2])
        #expect(due(&pacer, 2.2).isEmpty)
        #expect(due(&pacer, 2.25) == [3])
    }

    @Test func atMostSixtyInTenMinutes() {
        var limits = HistoricalPacer.Limits()
        limits.open = 100
        var pacer = HistoricalPacer(limits: limits)
        for ticket in 1...70 { pacer.enqueue(Self.request(ticket, "S\(ticket)|TRADES")) }
        #expect(answeredAtOnce(&pacer, 0).count == 60)
        #expect(pacer.nextDue(now: 10) == 600.25)
        #expect(due(&pacer, 600).isEmpty)
        #expect(due(&pacer, 600.25) == Array(61...70))
    }

    @Test func atMostFiftyOpen_aFinishedOneMakesRoom() {
        var pacer = HistoricalPacer()
        for ticket in 1...52 { pacer.enqueue(Self.request(ticket, "S\(ticket)|TRADES")) }
        #expect(due(&pacer, 0).count == 50)
        // Held by the open limit only: time alone frees nothing.
        #expect(pacer.nextDue(now: 1) == nil)
        #expect(due(&pacer, 100).isEmpty)
        pacer.finished(7, now: 100)
        #expect(due(&pacer, 100) == [51])
        #expect(pacer.open.count == 50)
    }

    /// A request not yet answered may be reaching TWS only now: it holds its series' burst until its answer
    /// comes, and counts from the answer.
    @Test func anUnansweredRequestCountsFromItsAnswer() {
        var pacer = HistoricalPacer()
        for ticket in 1...6 { pacer.enqueue(Self.request(ticket)) }
        #expect(due(&pacer, 0) == [1, 2, 3, 4, 5])
        #expect(due(&pacer, 5).isEmpty)
        #expect(pacer.nextDue(now: 5) == 7.25)
        for ticket in 1...5 { pacer.finished(ticket, now: 6) }
        #expect(due(&pacer, 8.2).isEmpty)
        #expect(due(&pacer, 8.25) == [6])
    }

    @Test func notBeforeHoldsARequestBack() {
        var pacer = HistoricalPacer()
        pacer.enqueue(HistoricalPacer.Request(ticket: 1, series: "A", terms: "t", notBefore: 15))
        #expect(due(&pacer, 0).isEmpty)
        #expect(pacer.nextDue(now: 0) == 15)
        #expect(due(&pacer, 15) == [1])
    }

    @Test func aLostConnectionForgetsOpenAndWaitingButNotTheWindows() {
        var pacer = HistoricalPacer()
        for ticket in 1...6 { pacer.enqueue(Self.request(ticket, terms: "t\(ticket)")) }
        #expect(answeredAtOnce(&pacer, 0).count == 5)
        pacer.connectionLost(now: 0.5)
        #expect(pacer.open.isEmpty)
        #expect(pacer.waiting.isEmpty)
        // IBKR paces the account: what went before the reconnect still counts.
        pacer.enqueue(Self.request(7, terms: "t1"))
        #expect(due(&pacer, 1).isEmpty)
        #expect(pacer.nextDue(now: 1) == 15.25)
    }

    @Test func withdrawTakesAWaitingRequestOut() {
        var pacer = HistoricalPacer()
        pacer.enqueue(HistoricalPacer.Request(ticket: 1, series: "A", terms: "t", notBefore: 5))
        let first = pacer.withdraw(1)
        let second = pacer.withdraw(1)
        #expect(first)
        #expect(!second)
        #expect(due(&pacer, 10).isEmpty)
    }

    /// A greedy owner over an hour of random arrivals on a few series and terms, with the windows scaled down so
    /// that every rule binds often: whatever was sent keeps every rule, checked here independently of the
    /// pacer's own bookkeeping.
    @Test(arguments: [UInt64(1), 2, 3])
    func randomArrivalsNeverBreakARule(seed: UInt64) {
        var limits = HistoricalPacer.Limits()
        limits.identicalWindow = 5
        limits.window = 60
        limits.perWindow = 20
        limits.open = 8
        var pacer = HistoricalPacer(limits: limits)
        var random = SeededGenerator(seed: seed)
        var sent: [(time: Double, series: String, terms: String)] = []
        var now = 0.0
        var ticket = 0
        var openTickets: [Int] = []
        while now < 3_600 {
            if random.next() % 4 == 0 {
                ticket += 1
                pacer.enqueue(HistoricalPacer.Request(
                    ticket: ticket, series: "S\(random.next() % 4)|TRADES", terms: "T\(random.next() % 5)"))
            }
            for request in pacer.due(now: now) {
                sent.append((now, request.series, request.terms))
                openTickets.append(request.ticket)
            }
            if openTickets.count > limits.open { Issue.record("\(openTickets.count) open at \(now) s") }
            // Answers come back after a while; some stay open (keepUpToDate) for longer.
            if !openTickets.isEmpty, random.next() % 3 == 0 {
                pacer.finished(openTickets.remove(at: Int(random.next() % UInt64(openTickets.count))), now: now)
            }
            now += Double(random.next() % 2_000) / 1_000
        }
        #expect(sent.count > 600, "the run should keep the queue busy: \(sent.count) sent")
        for (i, a) in sent.enumerated() {
            let later = sent[(i + 1)...]
            #expect(!later.contains { $0.series == a.series && $0.terms == a.terms && $0.time - a.time < 5 })
            #expect(later.prefix { $0.time - a.time < 2 }.filter { $0.series == a.series }.count < 5)
            #expect(later.prefix { $0.time - a.time < 60 }.count < 20)
        }
    }
}
