import IBKR
import Testing
import TickhubCore

/// Outgoing pacing: the bucket keeps any one-second window at or under `burst + rate` messages.
@Suite("TokenBucket")
struct TokenBucketTests {
    // A mutating call cannot sit inside #expect.
    func take(_ bucket: inout TokenBucket, _ now: Double) -> Bool { bucket.take(now: now) }
    func wait(_ bucket: inout TokenBucket, _ now: Double) -> Double { bucket.wait(now: now) }

    /// A greedy sender: takes a token whenever it can, on a clock that advances in uneven small steps.
    static func greedySendTimes(rate: Double, burst: Double, duration: Double, seed: UInt64) -> [Double] {
        var bucket = TokenBucket(rate: rate, burst: burst, now: 0)
        var random = SeededGenerator(seed: seed)
        var now = 0.0
        var sent: [Double] = []
        while now < duration {
            while bucket.take(now: now) { sent.append(now) }
            // Steps of 0.1 to 7 ms, with an occasional pause of up to half a second (the bucket refills).
            let pause = random.next() % 1000 == 0
            now += pause ? Double(random.next() % 500) / 1000 : 0.0001 + Double(random.next() % 69) / 10_000
        }
        return sent
    }

    /// The most sends in any half-open window [t, t + 1); the worst window starts at a send.
    static func busiestSecond(_ times: [Double]) -> Int {
        var best = 0
        var end = 0
        for start in times.indices {
            while end < times.count, times[end] < times[start] + 1 { end += 1 }
            best = max(best, end - start)
        }
        return best
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func neverMoreThanBurstPlusRateInAnySecond(seed: UInt64) {
        let times = Self.greedySendTimes(rate: 45, burst: 5, duration: 600, seed: seed)
        let busiest = Self.busiestSecond(times)
        #expect(busiest <= 50, "\(busiest) messages in one second")
        // And it is not starving the sender either: close to 45 a second over ten minutes.
        let average = Double(times.count) / 600
        #expect(average > 40 && average <= 45.1, "average \(average)/s")
    }

    @Test func startsWithAFullBurst() {
        var bucket = TokenBucket(rate: 10, burst: 5, now: 100)
        for _ in 0..<5 { #expect(take(&bucket, 100)) }
        #expect(!take(&bucket, 100))
    }

    @Test func waitIsZeroWhileATokenIsAvailable() {
        var bucket = TokenBucket(rate: 10, burst: 2, now: 0)
        #expect(wait(&bucket, 0) == 0)
        #expect(take(&bucket, 0))
        #expect(wait(&bucket, 0) == 0)
    }

    @Test func waitSaysExactlyWhenTheNextTokenArrives() {
        var bucket = TokenBucket(rate: 45, burst: 5, now: 0)
        for _ in 0..<5 { _ = bucket.take(now: 0) }
        let wait = bucket.wait(now: 0)
        #expect(abs(wait - 1.0 / 45) < 1e-12)
        // Not a moment before.
        #expect(!take(&bucket, wait * 0.99))
        #expect(take(&bucket, wait))
        // Part of a token already accrued shortens the next wait.
        let later = wait + 0.5 / 45
        let second = bucket.wait(now: later)
        #expect(abs(second - 0.5 / 45) < 1e-9)
        #expect(take(&bucket, later + second + 1e-12))
    }

    @Test func refillStopsAtTheBurst() {
        var bucket = TokenBucket(rate: 45, burst: 5, now: 0)
        // An hour idle still allows only the burst at once.
        var taken = 0
        while bucket.take(now: 3600) { taken += 1 }
        #expect(taken == 5)
    }

    @Test func aClockGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(rate: 45, burst: 1, now: 10)
        #expect(take(&bucket, 10))
        #expect(!take(&bucket, 5))
        #expect(wait(&bucket, 5) > 0)
    }
}
