import TickhubCore
import Testing

/// Reconnect delays: exponential from `initial`, capped, with equal jitter over the upper half of the window.
@Suite("Backoff")
struct BackoffTests {
    @Test func defaultsAreQuickThenPatient() {
        let backoff = Backoff()
        #expect(backoff.initial == 0.5)
        #expect(backoff.cap == 30)
    }

    @Test func everyDelayIsWithinTheUpperHalfOfItsWindow() {
        let backoff = Backoff(initial: 0.5, cap: 30)
        for attempt in 1...40 {
            let ceiling = min(30, 0.5 * Double(1 << min(attempt - 1, 30)))
            for unit in stride(from: 0.0, to: 1.0, by: 0.05) {
                let delay = backoff.delay(attempt: attempt, unit: unit)
                #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(attempt) unit \(unit): \(delay)")
            }
        }
    }

    @Test func doublesUntilTheCap() {
        let backoff = Backoff(initial: 0.5, cap: 30)
        let lowest = (1...9).map { backoff.delay(attempt: $0, unit: 0) }
        #expect(lowest == [0.25, 0.5, 1, 2, 4, 8, 15, 15, 15])
        let highest = (1...9).map { backoff.delay(attempt: $0, unit: 1) }
        #expect(highest == [0.5, 1, 2, 4, 8, 16, 30, 30, 30])
    }

    @Test func outOfRangeInputsAreClamped() {
        let backoff = Backoff(initial: 1, cap: 10)
        // Attempt 0 and negatives behave as the first attempt.
        #expect(backoff.delay(attempt: 0, unit: 0) == 0.5)
        #expect(backoff.delay(attempt: -5, unit: 0) == 0.5)
        // Huge attempt numbers neither overflow nor exceed the cap.
        #expect(backoff.delay(attempt: Int.max, unit: 0.999) <= 10)
        #expect(backoff.delay(attempt: 10_000, unit: 0) == 5)
        // Jitter outside [0, 1] is clamped.
        #expect(backoff.delay(attempt: 1, unit: -3) == 0.5)
        #expect(backoff.delay(attempt: 1, unit: 7) == 1)
    }

    @Test func aCapBelowInitialWins() {
        let backoff = Backoff(initial: 5, cap: 2)
        #expect(backoff.delay(attempt: 1, unit: 0.999) <= 2)
        #expect(backoff.delay(attempt: 1, unit: 0) == 1)
    }
}
