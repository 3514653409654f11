import TickhubCore
import Testing

/// The alert rule engine: each condition, cooldown, expiry, stale and delayed quotes, hysteresis on a dithering price,
/// and the per-symbol index.
@Suite("Alert evaluator")
struct AlertEvaluatorTests {
    static let start: Int64 = 1_765_000_000_000

    static func rule(
        _ condition: AlertCondition, _ level: Double, id: String = "r1", symbol: String = "AAPL",
        reference: AlertReference = .previousClose, referencePrice: Double? = nil, cooldown: Int = 0,
        expiresAt: Int64? = nil, allowDelayed: Bool = false
    ) -> AlertRule {
        AlertRule(id: id, symbol: symbol, condition: condition, level: level, reference: reference,
                  referencePrice: referencePrice, cooldownSeconds: cooldown, expiresAt: expiresAt,
                  allowDelayed: allowDelayed, createdAt: start)
    }

    static func quote(_ symbol: String = "AAPL", last: Double, close: Double? = nil, stale: Bool = false,
                      delayed: Bool = false) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: start, delayed: delayed, stale: stale)
        quote.last = last
        quote.close = close
        return quote
    }

    /// Feeds `prices` one per second from `start` and returns the prices that fired.
    static func firedPrices(_ evaluator: inout AlertEvaluator, _ prices: [Double], symbol: String = "AAPL",
                            close: Double? = nil, from: Int64 = start) -> [Double] {
        var fired: [Double] = []
        for (second, price) in prices.enumerated() {
            let now = Timestamp.milliseconds(from + Int64(second) * 1_000)
            fired += evaluator.evaluate(quote(symbol, last: price, close: close), now: now).map(\.price)
        }
        return fired
    }

    @Test func aboveFiresWhenThePriceGoesPastTheLevel() {
        var evaluator = AlertEvaluator()
        #expect(evaluator.add(Self.rule(.above, 100), now: .milliseconds(Self.start)) == nil)
        #expect(Self.firedPrices(&evaluator, [98, 99.5, 100, 100.5, 101]) == [100.5])
    }

    @Test func belowFiresWhenThePriceGoesUnderTheLevel() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.below, 100), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&evaluator, [102, 100.5, 100, 99.5, 99]) == [99.5])
    }

    @Test func theFiredEventCarriesTheRuleAndThePrice() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.above, 90_000, id: "x7", symbol: "BTC"), now: .milliseconds(Self.start))
        let fired = evaluator.evaluate(Self.quote("BTC", last: 90_001.5), now: .milliseconds(Self.start + 42))
        #expect(fired == [AlertFired(id: "x7", symbol: "BTC", condition: .above, level: 90_000, price: 90_001.5,
                                     time: Self.start + 42)])
    }

    @Test func aboveAndBelowFireAtOnceWhenAlreadyTrue() {
        var evaluator = AlertEvaluator()
        let now = Timestamp.milliseconds(Self.start)
        let above = evaluator.add(Self.rule(.above, 100, id: "a"), current: Self.quote(last: 105), now: now)
        #expect(above?.price == 105)
        let below = evaluator.add(Self.rule(.below, 110, id: "b"), current: Self.quote(last: 105), now: now)
        #expect(below?.price == 105)
        // Without a quote at creation, the first evaluated quote fires it.
        var other = AlertEvaluator()
        _ = other.add(Self.rule(.above, 100), now: now)
        #expect(Self.firedPrices(&other, [105]) == [105])
    }

    @Test func crossesFiresOnlyOnACrossing() {
        var evaluator = AlertEvaluator()
        // Already above when made: no firing, it is no crossing.
        #expect(evaluator.add(Self.rule(.crosses, 100), current: Self.quote(last: 105), now: .milliseconds(Self.start)) == nil)
        #expect(Self.firedPrices(&evaluator, [104, 103, 101]) == [])
        #expect(Self.firedPrices(&evaluator, [99], from: Self.start + 10_000) == [99])
        // And back up, well clear of the band: a second crossing.
        #expect(Self.firedPrices(&evaluator, [98, 101], from: Self.start + 20_000) == [101])
    }

    @Test func crossesWithoutAPriceAtCreationWaitsForTwoEvaluatedPrices() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.crosses, 100), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&evaluator, [101, 102, 99.9]) == [99.9])
    }

    @Test func cooldownKeepsARuleQuiet() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.above, 100, cooldown: 60), now: .milliseconds(Self.start))
        let t = Self.start
        func at(_ seconds: Int64, _ price: Double) -> Int {
            evaluator.evaluate(Self.quote(last: price), now: .milliseconds(t + seconds * 1_000)).count
        }
        #expect(at(0, 101) == 1)
        #expect(at(10, 98) == 0)    // re-armed below the band
        #expect(at(20, 102) == 0)   // holds again, but within 60 s
        #expect(at(59, 102) == 0)
        #expect(at(60, 102) == 1)   // the cooldown is over and the rule was still armed
        #expect(at(200, 103) == 0)  // fired, not re-armed since
    }

    @Test func aCooldownOfAnyLengthIsKeptWithoutOverflow() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.above, 100, cooldown: Int.max), now: .milliseconds(Self.start))
        // Fires, re-arms below the band, holds again much later: still within an endless cooldown.
        #expect(Self.firedPrices(&evaluator, [101, 99, 101]) == [101])
        #expect(evaluator.evaluate(Self.quote(last: 102), now: .milliseconds(Int64.max / 1_000)).isEmpty)
    }

    @Test func anExpiredRuleNeverFiresAndLeavesTheIndex() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.above, 100, expiresAt: Self.start + 5_000), now: .milliseconds(Self.start))
        #expect(evaluator.evaluate(Self.quote(last: 99), now: .milliseconds(Self.start + 1_000)).isEmpty)
        #expect(evaluator.evaluate(Self.quote(last: 101), now: .milliseconds(Self.start + 5_000)).isEmpty)
        #expect(evaluator.count == 0)
        #expect(evaluator.rules(for: "AAPL").isEmpty)
    }

    @Test func aStaleQuoteNeverFires() {
        var evaluator = AlertEvaluator()
        let now = Timestamp.milliseconds(Self.start)
        _ = evaluator.add(Self.rule(.above, 100, id: "a", allowDelayed: true), current: Self.quote(last: 105, stale: true), now: now)
        #expect(evaluator.evaluate(Self.quote(last: 105, stale: true), now: now).isEmpty)
        #expect(evaluator.evaluate(Self.quote(last: 105, stale: true, delayed: true), now: now).isEmpty)
        // The stale price was not evaluated, so the first live one still fires.
        #expect(evaluator.evaluate(Self.quote(last: 105), now: now).map(\.id) == ["a"])
    }

    @Test func aStalePriceIsNoSideOfACrossing() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.crosses, 100), current: Self.quote(last: 99), now: .milliseconds(Self.start))
        #expect(evaluator.evaluate(Self.quote(last: 101, stale: true), now: .milliseconds(Self.start)).isEmpty)
        // 99 (live) to 101 (live): the crossing is seen on the live quote, not lost to the stale one.
        #expect(evaluator.evaluate(Self.quote(last: 101), now: .milliseconds(Self.start + 1)).count == 1)
    }

    @Test func aDelayedQuoteFiresOnlyWhenTheRuleAllowsIt() {
        var evaluator = AlertEvaluator()
        let now = Timestamp.milliseconds(Self.start)
        _ = evaluator.add(Self.rule(.above, 100, id: "strict"), now: now)
        _ = evaluator.add(Self.rule(.above, 100, id: "lenient", allowDelayed: true), now: now)
        #expect(evaluator.evaluate(Self.quote(last: 101, delayed: true), now: now).map(\.id) == ["lenient"])
        #expect(evaluator.evaluate(Self.quote(last: 101), now: now).map(\.id) == ["strict"])
    }

    @Test func aPriceDitheringOnTheLevelFiresOnce() {
        // Band: 0.1 % of 100 = 0.10. Dithering a few cents around the level neither re-arms nor re-crosses.
        let dither: [Double] = [99.98, 100.02, 99.97, 100.03, 99.95, 100.01, 99.99, 100.04, 99.96, 100.02]
        for condition in [AlertCondition.above, .crosses] {
            var evaluator = AlertEvaluator()
            _ = evaluator.add(Self.rule(condition, 100), current: Self.quote(last: 99.5), now: .milliseconds(Self.start))
            #expect(Self.firedPrices(&evaluator, dither).count == 1, "\(condition)")
        }
        var below = AlertEvaluator()
        _ = below.add(Self.rule(.below, 100), current: Self.quote(last: 100.5), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&below, dither) == [99.98])
    }

    @Test func aNegativeLevelKeepsItsBand() {
        // Band: 0.1 % of |−40| = 0.04.
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.crosses, -40), current: Self.quote(last: -41), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&evaluator, [-39.99, -40.01, -39.99, -40.05, -39.9]) == [-39.99, -40.05, -39.9])
    }

    @Test func aRealMoveBackPastTheBandRearms() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.above, 100), now: .milliseconds(Self.start))
        // 99.91 is inside the band (100 − 0.10): not re-armed; 99.90 is on its edge: re-armed.
        #expect(Self.firedPrices(&evaluator, [100.2, 99.91, 100.2, 99.90, 100.2]) == [100.2, 100.2])
    }

    @Test func changePercentFromThePreviousClose() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.changePercent, 5, id: "up"), now: .milliseconds(Self.start))
        _ = evaluator.add(Self.rule(.changePercent, -3, id: "down"), now: .milliseconds(Self.start))
        var fired: [String] = []
        for price in [101.0, 104.9, 105.5, 99, 96.9] {
            fired += evaluator.evaluate(Self.quote(last: price, close: 100), now: .milliseconds(Self.start)).map(\.id)
        }
        #expect(fired == ["up", "down"])
        // No close, no change: nothing fires, whatever the price.
        var noClose = AlertEvaluator()
        _ = noClose.add(Self.rule(.changePercent, 1), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&noClose, [1, 1_000]).isEmpty)
    }

    @Test func changePercentFromCreation() {
        var evaluator = AlertEvaluator()
        // Made when the price was 200; the previous close (100) is not the base.
        _ = evaluator.add(Self.rule(.changePercent, 10, reference: .creation, referencePrice: 200),
                          now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&evaluator, [210, 219.9, 220.5], close: 100) == [220.5])
        // Without a price at creation, the first evaluated price is the base.
        var later = AlertEvaluator()
        _ = later.add(Self.rule(.changePercent, -10, reference: .creation), now: .milliseconds(Self.start))
        #expect(Self.firedPrices(&later, [50, 46, 44.9]) == [44.9])
    }

    @Test func evaluationTouchesOnlyTheSymbolsRules() {
        var evaluator = AlertEvaluator()
        let now = Timestamp.milliseconds(Self.start)
        for index in 0..<1_000 { _ = evaluator.add(Self.rule(.above, 1, id: "other\(index)", symbol: "MSFT"), now: now) }
        _ = evaluator.add(Self.rule(.above, 100, id: "mine", symbol: "AAPL"), now: now)
        _ = evaluator.add(Self.rule(.below, 50, id: "mine2", symbol: "AAPL"), now: now)
        let before = evaluator.rulesExamined
        #expect(evaluator.evaluate(Self.quote("AAPL", last: 101), now: now).map(\.id) == ["mine"])
        #expect(evaluator.rulesExamined - before == 2)
        #expect(evaluator.evaluate(Self.quote("TSLA", last: 101), now: now).isEmpty)
        #expect(evaluator.rulesExamined - before == 2)
    }

    @Test func removingARuleStopsIt() {
        var evaluator = AlertEvaluator()
        let now = Timestamp.milliseconds(Self.start)
        _ = evaluator.add(Self.rule(.above, 100, id: "a"), now: now)
        #expect(evaluator.remove(id: "a")?.id == "a")
        #expect(evaluator.remove(id: "a") == nil)
        #expect(evaluator.evaluate(Self.quote(last: 101), now: now).isEmpty)
        #expect(evaluator.count == 0)
    }

    @Test func aQuoteWithoutAPriceFiresNothing() {
        var evaluator = AlertEvaluator()
        _ = evaluator.add(Self.rule(.below, 100), now: .milliseconds(Self.start))
        var quote = Quote(symbol: "AAPL", source: .ibkr)
        quote.bid = 50  // one side only: no midpoint
        #expect(evaluator.evaluate(quote, now: .milliseconds(Self.start)).isEmpty)
    }
}
