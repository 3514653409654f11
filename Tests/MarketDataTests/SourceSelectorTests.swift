import MarketData
import Testing
import TickhubCore

@Suite("Source selection")
struct SourceSelectorTests {
    let policy = SourceSelector.Policy(order: [.ibkr, .yahoo, .alphaVantage], failbackSeconds: 3, silenceSeconds: 10)

    func serving(_ providers: [QuoteSource], at now: Int64) -> SourceSelector {
        var s = SourceSelector(policy: policy)
        for p in providers {
            s.requested(p, now: now)
            s.quote(from: p, fresh: true, now: now)
        }
        return s
    }

    @Test func prefersTheFirstProviderInOrder() {
        var s = serving([.yahoo, .ibkr], at: 0)
        #expect(s.evaluate(now: 0, marketOpen: true)?.to == .ibkr)
        #expect(s.current == .ibkr)
        #expect(s.evaluate(now: 100, marketOpen: true) == nil)
    }

    @Test func failsOverAtOnceWhenTheSymbolBecomesUnavailable() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        s.state(.ibkr, .unavailable("over budget"), now: 1_000)
        let change = s.evaluate(now: 1_000, marketOpen: true)
        #expect(change == SourceSelector.Change(from: .ibkr, to: .yahoo, reason: "ibkr cannot serve it now"))
    }

    @Test func failsOverWhenTheProviderGoesDown() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        s.providerAvailable(.ibkr, false, now: 500)
        #expect(s.evaluate(now: 500, marketOpen: true)?.to == .yahoo)
    }

    @Test func silenceWhileTheMarketIsOpenCountsAsFailure() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        s.quote(from: .yahoo, fresh: true, now: 10_500)
        #expect(s.evaluate(now: 10_500, marketOpen: true)?.to == .yahoo)
    }

    @Test func silenceWhileTheMarketIsClosedIsNormal() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: false)
        #expect(s.evaluate(now: 3_600_000, marketOpen: false) == nil)
        #expect(s.current == .ibkr)
    }

    @Test func staleQuotesDoNotCountAsServing() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        for t in stride(from: Int64(1_000), through: 20_000, by: 1_000) {
            s.quote(from: .ibkr, fresh: false, now: t)
            s.quote(from: .yahoo, fresh: true, now: t)
        }
        #expect(s.evaluate(now: 20_000, marketOpen: true)?.to == .yahoo)
    }

    @Test func failsBackOnlyAfterTheBetterProviderHasBeenSteady() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        s.providerAvailable(.ibkr, false, now: 1_000)
        #expect(s.evaluate(now: 1_000, marketOpen: true)?.to == .yahoo)
        s.providerAvailable(.ibkr, true, now: 5_000)
        s.quote(from: .ibkr, fresh: true, now: 5_100)
        #expect(s.evaluate(now: 5_100, marketOpen: true) == nil, "not yet steady")
        s.quote(from: .ibkr, fresh: true, now: 8_050)
        let change = s.evaluate(now: 8_050, marketOpen: true)
        #expect(change?.from == .yahoo && change?.to == .ibkr)
    }

    @Test func aFlappingLinkDoesNotMakeSourcesFlap() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        var switches = 0
        // IBKR up one second, down one second, for a minute; Yahoo steady.
        for second in 1...60 {
            let now = Int64(second) * 1_000
            s.providerAvailable(.ibkr, second % 2 == 0, now: now)
            if second % 2 == 0 { s.quote(from: .ibkr, fresh: true, now: now) }
            s.quote(from: .yahoo, fresh: true, now: now)
            if s.evaluate(now: now, marketOpen: true) != nil { switches += 1 }
        }
        #expect(switches == 1, "one failover, no failback while the link flaps")
        #expect(s.current == .yahoo)
    }

    @Test func unknownEverywhereLeavesNoSource() {
        var s = SourceSelector(policy: policy)
        for p in policy.order {
            s.requested(p, now: 0)
            s.state(p, .unknown, now: 0)
        }
        #expect(s.evaluate(now: 0, marketOpen: true) == nil, "there was no source to lose")
        #expect(s.current == nil)
    }

    @Test func lastResortIsUsedOnlyWhenEverythingAboveItFails() {
        var s = SourceSelector(policy: policy)
        s.requested(.ibkr, now: 0)
        s.state(.ibkr, .unavailable("disconnected"), now: 0)
        #expect(s.wanted(now: 0, marketOpen: true) == [.ibkr, .yahoo])
        s.requested(.yahoo, now: 0)
        s.quote(from: .yahoo, fresh: true, now: 0)
        #expect(s.wanted(now: 0, marketOpen: true) == [.ibkr, .yahoo])
        s.state(.yahoo, .unavailable("rate-limited"), now: 10)
        #expect(s.wanted(now: 10, marketOpen: true) == [.ibkr, .yahoo, .alphaVantage])
    }

    @Test func thePreferredProviderIsAlwaysWantedSoItsRecoveryIsSeen() {
        var s = serving([.ibkr, .yahoo], at: 0)
        _ = s.evaluate(now: 0, marketOpen: true)
        #expect(s.wanted(now: 0, marketOpen: true) == [.ibkr])
        s.providerAvailable(.ibkr, false, now: 1)
        _ = s.evaluate(now: 1, marketOpen: true)
        #expect(s.wanted(now: 1, marketOpen: true) == [.ibkr, .yahoo])
    }
}
