import Foundation
import GRDB
import Testing
import TickhubCore
@testable import Store

@Suite("Chart bars in the store")
struct BarStoreTests {
    static let aapl1m = BarKey(symbol: "AAPL", interval: .oneMinute)
    /// 2025-03-24 13:30 UTC, the US open that day.
    static let open: Int64 = 1_742_823_000_000

    static func minutes(_ count: Int, from start: Int64 = open, price: Double = 220) -> [Bar] {
        (0..<count).map { i in
            let base = price + Double(i) * 0.1
            return Bar(time: start + Int64(i) * 60_000, open: base, high: base + 0.5, low: base - 0.5, close: base + 0.2, volume: Double(1_000 + i))
        }
    }

    @Test func savedBarsComeBackInTheirSpanOldestFirstWithTheirSource() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let bars = Self.minutes(10)
        // Saved newest first: the order they come back in is the store's, not the caller's.
        try await store.saveBars(bars.reversed(), for: Self.aapl1m, source: .yahoo)

        let all = try #require(try await store.bars(for: Self.aapl1m, from: Self.open, to: Self.open + 10 * 60_000))
        #expect(all == BarFetch(bars: bars, source: .yahoo))
        // [from, to): the bar starting at `to` is left out, the one at `from` kept.
        let middle = try #require(try await store.bars(for: Self.aapl1m, from: Self.open + 2 * 60_000, to: Self.open + 5 * 60_000))
        #expect(middle.bars.map(\.time) == [2, 3, 4].map { Self.open + $0 * 60_000 })
        // Other series and other spans hold nothing.
        #expect(try await store.bars(for: BarKey(symbol: "AAPL", interval: .fiveMinutes), from: 0, to: .max) == nil)
        #expect(try await store.bars(for: BarKey(symbol: "MSFT", interval: .oneMinute), from: 0, to: .max) == nil)
        #expect(try await store.bars(for: Self.aapl1m, from: 0, to: Self.open) == nil)
    }

    @Test func aBarSavedAgainReplacesTheOneWithTheSameStartAndKeepsItsNewSource() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.saveBars(Self.minutes(3), for: Self.aapl1m, source: .yahoo)
        // IBKR's word on the last minute: a different close and volume.
        let corrected = Bar(time: Self.open + 2 * 60_000, open: 220.2, high: 221, low: 219.9, close: 220.9, volume: 5_000)
        try await store.saveBars([corrected], for: Self.aapl1m, source: .ibkr)

        let fetched = try #require(try await store.bars(for: Self.aapl1m, from: 0, to: .max))
        #expect(fetched.bars.count == 3)
        #expect(fetched.bars.last == corrected)
        #expect(fetched.bars.first == Self.minutes(1)[0])
        // The source of the series is the newest bar's.
        #expect(fetched.source == .ibkr)
        let rows = try await store.pool.read { db in try BarRecord.order(Column("time")).fetchAll(db) }
        #expect(rows.map(\.source) == ["yahoo", "yahoo", "ibkr"])
    }

    @Test func barsTheChartsCouldNotDrawAreNotStored() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let good = Self.minutes(1)[0]
        let highBelowLow = Bar(time: Self.open + 60_000, open: 10, high: 9, low: 11, close: 10)
        let notFinite = Bar(time: Self.open + 120_000, open: .nan, high: 11, low: 9, close: 10)
        try await store.saveBars([good, highBelowLow, notFinite], for: Self.aapl1m, source: .yahoo)
        #expect(try await store.bars(for: Self.aapl1m, from: 0, to: .max)?.bars == [good])
        // Nothing to keep is not a failure.
        try await store.saveBars([], for: Self.aapl1m, source: .yahoo)
        try await store.saveBars([highBelowLow], for: Self.aapl1m, source: .yahoo)
    }

    @Test func reopeningTheFileKeepsTheBars() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        let minutes = Self.minutes(390)
        let days = [Bar(time: 1_742_774_400_000, open: 221, high: 224, low: 219, close: 223, volume: 48_000_000)]
        do {
            let store = try openStore(path)
            try await store.saveBars(minutes, for: Self.aapl1m, source: .ibkr)
            try await store.saveBars(days, for: BarKey(symbol: "AAPL", interval: .oneDay), source: .yahoo)
        }
        let reopened = try openStore(path)
        #expect(try await reopened.bars(for: Self.aapl1m, from: 0, to: .max) == BarFetch(bars: minutes, source: .ibkr))
        #expect(try await reopened.bars(for: BarKey(symbol: "AAPL", interval: .oneDay), from: 0, to: .max) == BarFetch(bars: days, source: .yahoo))
        #expect(try await reopened.integrityCheck() == ["ok"])
    }

    @Test func pruningDeletesOnlyBarsThatStartBeforeTheCutoffInEverySeries() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.saveBars(Self.minutes(10), for: Self.aapl1m, source: .ibkr)
        try await store.saveBars(Self.minutes(10, price: 400), for: BarKey(symbol: "MSFT", interval: .oneMinute), source: .yahoo)

        let cutoff = Self.open + 4 * 60_000
        #expect(try await store.pruneBars(before: cutoff) == 8)
        #expect(try await store.bars(for: Self.aapl1m, from: 0, to: .max)?.bars.first?.time == cutoff)
        #expect(try await store.bars(for: BarKey(symbol: "MSFT", interval: .oneMinute), from: 0, to: .max)?.bars.count == 6)
        #expect(try await store.pruneBars(before: cutoff) == 0)
    }

    @Test func rowsThatCannotBeReadBackAreSkippedNotTrusted() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file()
        let store = try openStore(path)
        let good = Self.minutes(2)
        try await store.saveBars(good, for: Self.aapl1m, source: .ibkr)
        // Rows a damaged file or another program could leave: text in a price, high below low, a source this build
        // does not know, text as the volume. The table's checks are switched off to write them.
        try await store.pool.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            let insert = "INSERT INTO bar (symbol, interval, time, open, high, low, close, volume, source) VALUES (?, '1m', ?, ?, ?, ?, ?, ?, ?)"
            let t = Self.open
            try db.execute(sql: insert, arguments: ["AAPL", t + 120_000, "abc", 221, 219, 220, 100, "ibkr"])
            try db.execute(sql: insert, arguments: ["AAPL", t + 180_000, 220, 219, 221, 220, 100, "ibkr"])
            try db.execute(sql: insert, arguments: ["AAPL", t + 240_000, 220, 221, 219, 220, 100, "bloomberg"])
            try db.execute(sql: insert, arguments: ["AAPL", t + 300_000, 220, 221, 219, 220, "lots", "ibkr"])
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
        }
        let fetched = try #require(try await store.bars(for: Self.aapl1m, from: 0, to: .max))
        #expect(fetched == BarFetch(bars: good, source: .ibkr))
        // A series holding only such rows reads as nothing stored.
        #expect(try await store.bars(for: Self.aapl1m, from: Self.open + 120_000, to: .max) == nil)
    }

    @Test func theTableRefusesAnUnknownIntervalAndInconsistentPricesWrittenAroundTheStore() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        for (interval, high) in [("2m", 221.0), ("1m", 218.0)] {
            let error = await storeError {
                try await store.write { db in
                    try db.execute(
                        sql: "INSERT INTO bar (symbol, interval, time, open, high, low, close, source) VALUES ('AAPL', ?, 0, 220, ?, 219, 220, 'ibkr')",
                        arguments: [interval, high])
                }
            }
            #expect(error != nil, "interval \(interval), high \(high)")
        }
    }
}
