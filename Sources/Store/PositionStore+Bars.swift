import GRDB
import TickhubCore

extension PositionStore {
    /// Keeps `bars` of `key`'s series as `source` gave them, replacing any stored bar with the same start (a
    /// provider's later word on a bar, e.g. the completed one after the forming one, wins), in one transaction.
    /// Bars the charts would not draw (`Bar.isConsistent` false) are not stored.
    public func saveBars(_ bars: [Bar], for key: BarKey, source: QuoteSource) async throws(StoreError) {
        guard !key.symbol.isEmpty else { return }
        let records = bars.filter(\.isConsistent).map { BarRecord($0, key: key, source: source) }
        guard !records.isEmpty else { return }
        try await write { db in
            // INSERT OR REPLACE, not GRDB's upsert: its RETURNING asks for a rowid, which the table has none of.
            for record in records { try record.insert(db, onConflict: .replace) }
        }
    }

    /// The stored bars of `key` starting in `[from, to)` (ms since the epoch), oldest first, with the source of
    /// the newest of them (the provider serving the series now); nil when none is stored. Rows that cannot be read
    /// back whole are skipped.
    public func bars(for key: BarKey, from: Int64, to: Int64) async throws(StoreError) -> BarFetch? {
        let read = try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT time, open, high, low, close, volume, source FROM bar
                    WHERE symbol = ? AND interval = ? AND time >= ? AND time < ? ORDER BY time
                    """,
                arguments: [key.symbol, key.interval.rawValue, from, to])
            return rows.compactMap(BarRecord.bar(in:))
        }
        guard let newest = read.last else { return nil }
        return BarFetch(bars: read.map(\.bar), source: newest.source)
    }

    /// Deletes the bars that start before `time` (ms since the epoch), of every series or of one interval's;
    /// returns how many. For retention: the store keeps recent bars, the providers hold the rest.
    @discardableResult
    public func pruneBars(before time: Int64, interval: BarInterval? = nil) async throws(StoreError) -> Int {
        try await write { db in
            var doomed = BarRecord.filter(Column("time") < time)
            if let interval { doomed = doomed.filter(Column("interval") == interval.rawValue) }
            return try doomed.deleteAll(db)
        }
    }
}
