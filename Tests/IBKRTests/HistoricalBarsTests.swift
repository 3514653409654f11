import Foundation
import Synchronization
import IBKR
import SimulatorTestSupport
import TWSSimulator
import TickhubCore
import Testing

/// Historical bars from the simulator through the provider: backfills that agree with the simulator's walk, a
/// burst of chart opens within IBKR's pacing, and followed series that resume after a reconnect.
@Suite("Historical bars", .timeLimit(.minutes(2)))
struct HistoricalBarsTests {
    /// The simulator's clock at start (Wednesday 11:00 New York); it runs on from there.
    static let start = Int64(OpenMarket.wednesdayMorning.timeIntervalSince1970 * 1000)
    static let minute: Int64 = 60_000
    static let day: Int64 = 86_400_000
    /// Wednesday 09:30 New York: the walk's session opened here.
    static let sessionOpen = start - 90 * minute

    @Test func aDayOfMinuteBarsAgreesWithTheWalk() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl]) { h in
            try await h.events.awaitFreshQuotes(["AAPL"])
            // An hour past the simulator's now, which is still in the real past: the bars run up to the walk's now.
            let request = BarRequest(instrument: Instruments.aapl, interval: .oneMinute, from: Self.start - Self.day, to: Self.start + 60 * Self.minute)
            let asked = ContinuousClock.now
            let bars = try await h.provider.historicalBars(request)
            print("history: a day of AAPL 1-minute bars (\(bars.count)) in \(String(format: "%.3f", (ContinuousClock.now - asked).seconds)) s")
            let quote = try #require(await h.provider.quote("AAPL"))

            try Self.expectWellFormed(bars, request)
            // Tuesday 11:00 to 16:00, and Wednesday from 09:30 to the minute forming now.
            let tuesday = bars.filter { $0.time < Self.sessionOpen }
            let wednesday = bars.filter { $0.time >= Self.sessionOpen }
            #expect(tuesday.count == 300)
            #expect(tuesday.first?.time == Self.start - Self.day)
            #expect((91...95).contains(wednesday.count), "\(wednesday.count) bars on Wednesday")
            #expect(wednesday.first?.time == Self.sessionOpen)
            // The walk's day opens at its open and stays inside its range (which only widens after the bars were
            // made); the day before closes at the walk's previous close.
            #expect(wednesday.first?.open == quote.open)
            #expect(wednesday.map(\.high).max()! <= quote.high!)
            #expect(wednesday.map(\.low).min()! >= quote.low!)
            #expect(tuesday.last?.close == quote.close)
            #expect(bars.allSatisfy { ($0.volume ?? -1) >= 0 }, "TRADES bars carry volume")
        }
    }

    @Test func dailyBarsAtMidnightUTCAndFXMidpointsWithoutVolume() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.aapl]) { h in
            try await h.events.awaitFreshQuotes(["AAPL"])
            let daily = BarRequest(instrument: Instruments.aapl, interval: .oneDay, from: Self.start - 30 * Self.day, to: Self.start + Self.day)
            let days = try await h.provider.historicalBars(daily)
            try Self.expectWellFormed(days, daily)
            #expect((19...23).contains(days.count), "\(days.count) daily bars in 30 days")
            // Weekdays only, each at 00:00 UTC of its date; the last one is the walk's Wednesday.
            #expect(days.allSatisfy { $0.time % Self.day == 0 })
            let weekdays = days.map { Calendar.utc.component(.weekday, from: Date(timeIntervalSince1970: Double($0.time) / 1000)) }
            #expect(weekdays.allSatisfy { (2...6).contains($0) }, "\(weekdays)")
            #expect(days.last?.time == Self.start - Self.start % Self.day)
            #expect(days.last?.open == (await h.provider.quote("AAPL"))?.open)

            let fx = BarRequest(instrument: Instruments.eurusd, interval: .fiveMinutes, from: Self.start - 6 * 3_600_000, to: Self.start)
            let midpoints = try await h.provider.historicalBars(fx)
            try Self.expectWellFormed(midpoints, fx)
            // FX trades around the clock: every five minutes of the six hours.
            #expect(midpoints.count == 72)
            #expect(midpoints.allSatisfy { $0.volume == nil })
        }
    }

    @Test func anUnknownContractIsRefusedWith200AndNoConnectionFailsAtOnce() async throws {
        try await withSimulatorAndProvider { h in
            try await h.events.awaitState(.ready)
            let request = BarRequest(instrument: .stock("NOSUCH"), interval: .oneMinute, from: Self.start - Self.day, to: Self.start)
            await #expect(throws: IBKRHistoryError.self) { try await h.provider.historicalBars(request) }
            do {
                _ = try await h.provider.historicalBars(request)
            } catch {
                guard case .refused(code: 200, _)? = error as? IBKRHistoryError else { Issue.record("expected 200, got \(error)"); return }
            }
            await h.provider.disconnect()
            try await h.events.awaitState(.disconnected)
            let aapl = BarRequest(instrument: Instruments.aapl, interval: .oneMinute, from: Self.start - Self.day, to: Self.start)
            do {
                _ = try await h.provider.historicalBars(aapl)
                Issue.record("bars while disconnected")
            } catch {
                #expect(error as? IBKRHistoryError == .disconnected)
            }
            // Asked the moment Connect is pressed, while TWS is still being reached: the request waits for the
            // connection rather than failing (the handshake takes several turns of the loop after this call).
            await h.provider.connect()
            let waited = try await h.provider.historicalBars(aapl)
            #expect(!waited.isEmpty)
        }
    }

    /// Twenty charts opened at once on four symbols and six intervals, some of them the same chart twice: every
    /// one gets its bars, and the simulator, which enforces IBKR's pacing at its real limits, refuses none.
    @Test func aBurstOfTwentyChartOpensMakesNoError162() async throws {
        try await withSimulatorAndProvider { h in
            try await h.events.awaitState(.ready)
            let symbols = [Instruments.aapl, Instruments.msft, Instruments.eurusd, Instruments.btc]
            // Sixteen distinct charts: every interval, each symbol at four of the six.
            let combinations = BarInterval.allCases.flatMap { interval in symbols.map { ($0, interval) } }
            var requests = combinations.enumerated().filter { $0.offset % 3 != 2 }.map { _, pair in
                let span = pair.1 == .oneDay ? 60 * Self.day : Self.day
                return BarRequest(instrument: pair.0, interval: pair.1, from: Self.start - span, to: Self.start)
            }
            #expect(requests.count == 16)
            #expect(Set(requests.map(\.interval)) == Set(BarInterval.allCases))
            // The same charts opened twice.
            requests += Array(requests.prefix(4))
            #expect(requests.count == 20)
            let started = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: (Int, [Bar]).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask { (index, try await h.provider.historicalBars(request)) }
                }
                var results: [Int: [Bar]] = [:]
                for try await (index, bars) in group { results[index] = bars }
                return results
            }
            let elapsed = ContinuousClock.now - started
            print("history: 20 chart opens (\(Set(requests.map { "\($0.key)" }).count) distinct) answered in \(String(format: "%.2f", elapsed.seconds)) s")
            for (index, request) in requests.enumerated() {
                let bars = try #require(results[index])
                #expect(!bars.isEmpty, "\(request.key)")
                try Self.expectWellFormed(bars, request)
            }
            // The repeated charts got the very same bars.
            for index in 0..<4 { #expect(results[index] == results[16 + index]) }
            let simulator = try await h.simulator.status()
            // Only the four bootstrap farm notices: no 162.
            #expect(simulator.errorsSent == 4, "the simulator sent \(simulator.errorsSent - 4) errors beyond the bootstrap")
            #expect(elapsed < .seconds(10))
        }
    }

    /// Every rule binding: the simulator paces at a few seconds' scale and the provider at the same limits, so
    /// that thirty distinct requests must wait for the ten-per-window rule more than once; none is refused.
    @Test func theQueueWaitsOutEveryWindowInsteadOfBeingRefused() async throws {
        try await withSimulatorAndProvider(
            simulator: { $0.historicalPacing = Self.scaledPacing },
            provider: {
                $0.historicalPacing = Self.scaledLimits
                $0.historicalTimeoutSeconds = 20
            }
        ) { h in
            try await h.events.awaitState(.ready)
            let started = ContinuousClock.now
            let requests = (0..<24).map { i in
                // Distinct ends, so none is identical to another; three symbols, eight each.
                let instrument = [Instruments.aapl, Instruments.msft, Instruments.btc][i % 3]
                return BarRequest(instrument: instrument, interval: .fiveMinutes, from: Self.start - Self.day - Int64(i) * 3_600_000, to: Self.start - Int64(i) * 3_600_000)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for request in requests { group.addTask { _ = try await h.provider.historicalBars(request) } }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            print("history: 24 requests under 10 per 3 s answered in \(String(format: "%.2f", elapsed.seconds)) s")
            // 24 requests at 10 per 3 s window: the last ones waited for two windows to pass.
            #expect(elapsed > .seconds(6))
            let simulator = try await h.simulator.status()
            #expect(simulator.errorsSent == 4, "the simulator sent \(simulator.errorsSent - 4) errors beyond the bootstrap")
        }
    }

    /// The control for the test above: a provider that paces more loosely than the simulator is refused with 162.
    @Test func withoutTheRulesTheSimulatorRefuses() async throws {
        try await withSimulatorAndProvider(
            simulator: { $0.historicalPacing = Self.scaledPacing },
            provider: {
                var loose = HistoricalPacer.Limits()
                loose.perWindow = 1_000
                loose.burst = 1_000
                // A refusal is asked once more after this window (+ margin): past the simulator's burst window,
                // inside its ten-per-three-seconds one.
                loose.identicalWindow = 1
                $0.historicalPacing = loose
            }
        ) { h in
            try await h.events.awaitState(.ready)
            let refused = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<12 {
                    let request = BarRequest(instrument: Instruments.aapl, interval: .fiveMinutes, from: Self.start - Self.day - Int64(i) * 3_600_000, to: Self.start - Int64(i) * 3_600_000)
                    group.addTask {
                        do {
                            _ = try await h.provider.historicalBars(request)
                            return false
                        } catch {
                            if case .refused(code: 162, _)? = error as? IBKRHistoryError { return true }
                            return false
                        }
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            // Seven in a second for one contract breaks the burst rule, eleven in three seconds the window.
            #expect(refused > 0)
            #expect(try await h.simulator.status().errorsSent > 4)
        }
    }

    @Test func followedBarsUpdateAndResumeAfterADroppedConnection() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.btc]) { h in
            try await h.events.awaitFreshQuotes(["BTC"])
            let received = BarLog()
            let id = try #require(await h.provider.followBars(Instruments.btc, interval: .oneMinute) { received.append($0) })
            // The newest bars at once, then updates of the forming one (the simulator sends one a second).
            try await received.await("the first bars and two updates", count: 4)
            let before = received.bars
            #expect(before.allSatisfy { $0.isConsistent })
            #expect(before.map(\.time) == before.map(\.time).sorted())
            #expect(before.allSatisfy { $0.time % Self.minute == 0 })

            await h.events.skip()
            await h.simulator.inject(.dropConnections)
            try await h.events.awaitEvent("reconnecting") {
                if case .reconnecting = $0.connectionState { true } else { false }
            }
            try await h.events.awaitState(.ready)
            let countAtReconnect = received.bars.count
            try await received.await("updates after the reconnect", count: countAtReconnect + 2)
            let after = received.bars
            #expect(after.map(\.time) == after.map(\.time).sorted(), "bars went back in time after the reconnect")
            // Nothing refused on either connection: only the four bootstrap notices of each.
            #expect(try await h.simulator.status().errorsSent == 8)

            await h.provider.stopFollowingBars(id)
            // A round trip to the provider's loop: anything still in flight from before the stop is in the log.
            _ = await h.provider.status()
            try await Task.sleep(for: .milliseconds(100))
            let countAtStop = received.bars.count
            // The simulator sends an update every second while the request is open: three seconds of silence.
            do {
                try await received.await("no update after stopping", count: countAtStop + 1, timeout: .seconds(3))
                Issue.record("a bar arrived after stopFollowingBars")
            } catch is TestTimeout {}
        }
    }

    /// Two charts on one series: one TWS request between them; the one that stays keeps its updates.
    @Test func listenersOfOneSeriesShareItsRequest() async throws {
        try await withSimulatorAndProvider(subscribe: [Instruments.btc]) { h in
            try await h.events.awaitFreshQuotes(["BTC"])
            let first = BarLog()
            let second = BarLog()
            let firstID = try #require(await h.provider.followBars(Instruments.btc, interval: .fiveMinutes) { first.append($0) })
            try await first.await("the first listener's bars", count: 2)
            let requestsBefore = try await h.simulator.status().requestsReceived
            let secondID = try #require(await h.provider.followBars(Instruments.btc, interval: .fiveMinutes) { second.append($0) })
            #expect(secondID != firstID)
            try await second.await("the second listener's updates", count: 2)
            #expect(try await h.simulator.status().requestsReceived == requestsBefore, "a second request for a followed series")

            await h.provider.stopFollowingBars(firstID)
            let kept = second.bars.count
            try await second.await("updates after the other listener left", count: kept + 2)
            let after = second.bars
            #expect(after.allSatisfy { $0.time % (5 * Self.minute) == 0 && $0.isConsistent })
        }
    }

    // MARK: Helpers

    static var scaledPacing: HistoricalPacing {
        var pacing = HistoricalPacing()
        pacing.identicalWindow = 1
        pacing.burst = 6
        pacing.burstWindow = 1
        pacing.perWindow = 10
        pacing.window = 3
        return pacing
    }

    /// The simulator's scaled rules as the provider keeps them (six in the burst window is already a violation).
    static var scaledLimits: HistoricalPacer.Limits {
        var limits = HistoricalPacer.Limits()
        limits.identicalWindow = 1
        limits.burst = 5
        limits.burstWindow = 1
        limits.perWindow = 10
        limits.window = 3
        limits.margin = 0.1
        return limits
    }

    /// Candles, oldest first, one per interval start, inside the span asked for.
    static func expectWellFormed(_ bars: [Bar], _ request: BarRequest, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(bars.allSatisfy { $0.isConsistent }, sourceLocation: sourceLocation)
        #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.time < $1.time }, "times not ascending", sourceLocation: sourceLocation)
        #expect(bars.allSatisfy { $0.time == request.interval.start(of: $0.time) }, "a bar off its interval's start", sourceLocation: sourceLocation)
        #expect(bars.allSatisfy { $0.time >= request.from && $0.time < request.to }, "a bar outside the span", sourceLocation: sourceLocation)
    }
}

/// Bars a follow delivered, in the order the provider called back (on its loop, so appended in place, not in
/// tasks that could reorder them).
final class BarLog: Sendable {
    private let store = Mutex<[Bar]>([])

    func append(_ bar: Bar) { store.withLock { $0.append(bar) } }

    var bars: [Bar] { store.withLock { $0 } }

    /// Waits until at least `count` bars have arrived; throws `TestTimeout` after `timeout`. The callback has no
    /// event to await, so this polls (every 20 ms, bounded).
    func await(_ what: String, count: Int, timeout: Duration = defaultTimeout) async throws {
        try await poll("\(what) (\(count) bars)", timeout: timeout) { self.bars.count >= count }
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
