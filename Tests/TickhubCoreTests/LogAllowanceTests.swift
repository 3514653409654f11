import Testing
import TickhubCore

@Suite struct LogAllowanceTests {
    @Test func aFloodIsCutToTheAllowanceAndTheNextLineCountsWhatWasHeldBack() {
        var allowance = LogAllowance(perMinute: 3)
        let first = (0..<1_000).map { allowance.admit(now: 1_000 + Int64($0)) }
        #expect(first.filter(\.write).count == 3)
        #expect(first.allSatisfy { $0.leftOut == 0 })
        // A minute on: written again, saying how many were left out.
        let later = allowance.admit(now: 61_000)
        #expect(later.write && later.leftOut == 997)
        #expect(allowance.admit(now: 61_001) == (true, 0))
        #expect(LogAllowance.suffix(997) == " (and 997 more like it held back)")
        #expect(LogAllowance.suffix(0) == "")
    }

    @Test func aClockThatStepsBackStartsAFreshWindow() {
        var allowance = LogAllowance(perMinute: 1)
        #expect(allowance.admit(now: 100_000).write)
        #expect(!allowance.admit(now: 100_001).write)
        #expect(allowance.admit(now: 50_000) == (true, 1))
    }
}
