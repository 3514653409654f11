import Foundation
import SimulatorTestSupport
import Testing
import TickhubCore
@testable import TWSSimulator

/// How historical bars are made: the walk's recorded minutes kept as they were, the rest fitted around them.
@Suite("History maker")
struct HistoryMakerTests {
    static let now = OpenMarket.wednesdayMorning.timeIntervalSince1970
    static let maker = HistoryMaker(
        instrument: .stock("AAPL"), minTick: 0.01, lot: 100, hasTrades: true, dailyVolume: 20_000_000,
        dailyVolatility: 0.015, seed: 42)

    @Test func minuteBarsFoldTheWalksStepsAndBoundTheirRing() {
        var ring = MinuteBars()
        ring.record(price: 10, dayVolume: 100, at: 60)
        ring.record(price: 11, dayVolume: 300, at: 90)
        ring.record(price: 9.5, dayVolume: 400, at: 119)
        ring.record(price: 10.2, dayVolume: 0, at: 120)
        #expect(ring.bars == [
            MinuteBars.Bar(minute: 60, open: 10, high: 11, low: 9.5, close: 9.5, volume: 300),
            MinuteBars.Bar(minute: 120, open: 10.2, high: 10.2, low: 10.2, close: 10.2, volume: 0),
        ])
        for minute in 0..<(MinuteBars.capacity + 10) { ring.record(price: 1, dayVolume: 0, at: Double(180 + 60 * minute)) }
        #expect(ring.bars.count == MinuteBars.capacity)
    }

    @Test func theWalksDayKeepsItsRecordedMinutesAndEndsAtItsPrice() throws {
        let sessions = Self.maker.sessions(before: Self.now, limit: 3, since: 0)
        #expect(sessions.count == 3)
        let today = try #require(sessions.first)
        // Two minutes the walk ran, at 10:30 and 10:31 New York, then it stood still until 11:00.
        let recorded = [
            MinuteBars.Bar(minute: Int(Self.now) - 1_800, open: 230.10, high: 230.30, low: 230.00, close: 230.20, volume: 5_000),
            MinuteBars.Bar(minute: Int(Self.now) - 1_740, open: 230.20, high: 230.40, low: 230.15, close: 230.35, volume: 3_000),
        ]
        let walk = HistoryMaker.Today(open: 229.00, high: 231.00, low: 228.50, price: 230.35, previousClose: 228.80, recorded: recorded)
        let days = Self.maker.minutes(of: sessions, today: walk, walkDay: today.key, now: Self.now)
        #expect(days.count == 3)
        let minutes = try #require(days.last)
        #expect(minutes.count == 91)
        #expect(minutes.first?.open == 229.00)
        #expect(Array(minutes[60...61]) == recorded)
        #expect(minutes.last?.close == 230.35)
        for bar in minutes {
            #expect(bar.low >= 228.50 && bar.high <= 231.00 && bar.low <= min(bar.open, bar.close) && max(bar.open, bar.close) <= bar.high)
        }
        // Older days chain: yesterday closes at the walk's previous close.
        #expect(days[1].last?.close == 228.80)
        #expect(days[1].count == 390)
        // The same seed makes the same older days.
        #expect(Self.maker.minutes(of: sessions, today: walk, walkDay: today.key, now: Self.now).dropLast() == days.dropLast())
    }
}
