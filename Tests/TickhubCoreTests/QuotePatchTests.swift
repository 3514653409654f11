import Testing

@testable import TickhubCore

@Suite("QuotePatch")
struct QuotePatchTests {
    @Test func firstPatchBuildsAPushedQuote() {
        var patch = QuotePatch(symbol: "ACME")
        patch.bid = .some(10.5)
        patch.ask = .some(10.52)
        patch.sourceTime = 1_795_320_831_924_126
        let quote = patch.applied(to: nil, receivedAt: Timestamp(microseconds: 1_795_320_831_930_000))
        #expect(quote.source == .push && quote.bid == 10.5 && quote.ask == 10.52 && quote.last == nil)
        #expect(quote.sourceTime == 1_795_320_831_924_126 && quote.timestamp == 1_795_320_831_924)
        #expect(!quote.stale && !quote.delayed)
    }

    @Test func absentFieldsKeepTheirValueAndNullClears() {
        var first = QuotePatch(symbol: "ACME")
        first.bid = .some(10.5)
        first.ask = .some(10.6)
        first.delayed = true
        let before = first.applied(to: nil, receivedAt: Timestamp(microseconds: 1_000_000))
        var second = QuotePatch(symbol: "ACME")
        second.last = .some(10.55)
        second.bid = .some(nil)
        let after = second.applied(to: before, receivedAt: Timestamp(microseconds: 2_000_000))
        #expect(after.bid == nil && after.ask == 10.6 && after.last == 10.55)
        #expect(after.lastTradeTime == 2_000 && after.timestamp == 2_000 && after.sourceTime == nil)
        #expect(after.delayed, "delayed stays until the publisher says otherwise")
    }

    @Test func staleIsNotInherited() {
        var patch = QuotePatch(symbol: "ACME")
        patch.bid = .some(1)
        var previous = patch.applied(to: nil, receivedAt: Timestamp(microseconds: 1_000))
        previous.stale = true
        previous.source = .ibkr
        let next = patch.applied(to: previous, receivedAt: Timestamp(microseconds: 2_000))
        #expect(!next.stale && next.source == .push)
    }
}
