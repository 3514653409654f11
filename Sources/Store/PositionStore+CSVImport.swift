import GRDB

/// What an import or a sync changed.
public struct PositionChanges: Sendable, Equatable {
    /// Ids of positions added.
    public var inserted: [Int64] = []
    /// Ids of positions whose quantity, cost or terms changed.
    public var updated: [Int64] = []
    /// Ids of positions no longer held, now closed.
    public var closed: [Int64] = []
    /// Count of positions reported again exactly as stored.
    public var unchanged = 0

    public init() {}
}

extension PositionStore {
    /// Imports a positions CSV (docs/positions-csv.md) as the complete holdings of one existing account.
    ///
    /// The file replaces the account's previous import: rows update the open imported position of the same
    /// symbol or add one, and imported positions absent from the file are closed. Manual and IBKR positions in
    /// the account are left alone. All or nothing: any problem in the file (every one is listed, by line and
    /// column) refuses the whole file with `StoreError.csvImport`, and the database is not touched.
    @discardableResult
    public func importCSV(text: String, broker: String, accountId: String) async throws(StoreError) -> PositionChanges {
        let rows: [PositionsCSV.Row]
        switch PositionsCSV.parse(text) {
        case let .success(parsed): rows = parsed
        case let .failure(error): throw error
        }
        let now = self.now
        let changes = try await write { db in
            try Self.requireAccount(db, broker: broker, accountId: accountId)
            return try Self.replaceOpenPositions(
                db, broker: broker, accountId: accountId, origin: .import, with: rows.map(\.position), at: now)
        }
        logger.info(
            "positions imported",
            metadata: [
                "account": "\(broker):\(accountId)", "inserted": "\(changes.inserted.count)",
                "updated": "\(changes.updated.count)", "closed": "\(changes.closed.count)",
            ])
        return changes
    }

    /// Makes the account's open positions of `origin` exactly `held` (one per symbol): updates by symbol,
    /// inserts the new, closes the missing. Must run inside a write transaction.
    static func replaceOpenPositions(
        _ db: Database, broker: String, accountId: String, origin: PositionOrigin, with held: [ValidPosition],
        keepingOpen keep: Set<String> = [], at now: Int64
    ) throws -> PositionChanges {
        var changes = PositionChanges()
        var open: [String: PositionRecord] = [:]
        for record in try PositionRecord
            .filter(Column("broker") == broker && Column("accountId") == accountId)
            .filter(Column("origin") == origin.rawValue && Column("closedAt") == nil)
            .fetchAll(db)
        {
            open[record.symbol] = record
        }

        for position in held {
            if var record = open.removeValue(forKey: position.symbol) {
                if record.apply(position) {
                    record.updatedAt = now
                    try record.update(db)
                    changes.updated.append(record.id!)
                } else {
                    changes.unchanged += 1
                }
            } else {
                var record = PositionRecord(position, broker: broker, accountId: accountId, origin: origin, at: now)
                try record.insert(db)
                changes.inserted.append(record.id!)
            }
        }
        for var record in open.values.sorted(by: { $0.id! < $1.id! }) where !keep.contains(record.symbol) {
            record.closedAt = now
            record.updatedAt = now
            try record.update(db)
            changes.closed.append(record.id!)
        }
        return changes
    }
}
