import GRDB

extension PositionStore {
    /// Open positions of active accounts, for one broker or (nil) all, ordered by broker, account and symbol.
    public func openPositions(broker: String? = nil, includingInactiveAccounts: Bool = false)
        async throws(StoreError) -> [PositionRecord]
    {
        try await openPositions(broker: broker, includingInactiveAccounts: includingInactiveAccounts, after: nil, limit: nil)
    }

    /// One page of them: at most `limit` rows after `cursor`, in the same order. The order is the index
    /// `position_open_in_order`, so a page costs the same at the end of 100,000 rows as at the start.
    public func openPositions(broker: String? = nil, includingInactiveAccounts: Bool = false, after cursor: PositionCursor?, limit: Int?)
        async throws(StoreError) -> [PositionRecord]
    {
        try await read { db in
            var sql = """
                SELECT position.* FROM position
                JOIN brokerAccount USING (broker, accountId)
                WHERE position.closedAt IS NULL
                """
            var arguments: StatementArguments = []
            if !includingInactiveAccounts { sql += " AND brokerAccount.active" }
            if let broker {
                sql += " AND position.broker = ?"
                arguments += [broker]
            }
            if let cursor {
                sql += " AND (position.broker, position.accountId, position.symbol, position.origin, position.id) > (?, ?, ?, ?, ?)"
                arguments += [cursor.broker, cursor.accountId, cursor.symbol, cursor.origin, cursor.id]
            }
            sql += " ORDER BY position.broker, position.accountId, position.symbol, position.origin, position.id"
            if let limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            return try PositionRecord.fetchAll(db, sql: sql, arguments: arguments)
        }
    }

    /// Every position of one account, open and closed, by symbol then id.
    public func positions(broker: String, accountId: String) async throws(StoreError) -> [PositionRecord] {
        try await read { db in
            try PositionRecord
                .filter(Column("broker") == broker && Column("accountId") == accountId)
                .order(Column("symbol"), Column("id"))
                .fetchAll(db)
        }
    }

    public func position(id: Int64) async throws(StoreError) -> PositionRecord? {
        try await read { db in try PositionRecord.fetchOne(db, key: id) }
    }

    // MARK: Manual positions

    /// Adds a position entered by hand to an existing account.
    @discardableResult
    public func insertManual(_ draft: PositionDraft, broker: String, accountId: String)
        async throws(StoreError) -> PositionRecord
    {
        let valid = try Self.validate(draft)
        let now = self.now
        return try await write { db in
            try Self.requireAccount(db, broker: broker, accountId: accountId)
            try Self.refuseDuplicate(db, broker: broker, accountId: accountId, symbol: valid.symbol, except: nil)
            var record = PositionRecord(valid, broker: broker, accountId: accountId, origin: .manual, at: now)
            try record.insert(db)
            return record
        }
    }

    /// Replaces the fields of an open manual position with `draft`'s (validated the same way as an insert).
    @discardableResult
    public func update(id: Int64, _ draft: PositionDraft) async throws(StoreError) -> PositionRecord {
        let valid = try Self.validate(draft)
        let now = self.now
        return try await write { db in
            var record = try Self.manualPosition(db, id: id)
            guard record.isOpen else { throw StoreError.positionClosed(id: id) }
            try Self.refuseDuplicate(db, broker: record.broker, accountId: record.accountId, symbol: valid.symbol, except: id)
            if record.apply(valid) {
                record.updatedAt = now
                try record.update(db)
            }
            return record
        }
    }

    /// Deletes a manual position (open or closed) for good.
    public func delete(id: Int64) async throws(StoreError) {
        try await write { db in
            let record = try Self.manualPosition(db, id: id)
            _ = try record.delete(db)
        }
    }

    static func validate(_ draft: PositionDraft) throws(StoreError) -> ValidPosition {
        do { return try draft.validated() } catch { throw .invalidPosition(error) }
    }

    static func manualPosition(_ db: Database, id: Int64) throws -> PositionRecord {
        guard let record = try PositionRecord.fetchOne(db, key: id) else { throw StoreError.positionNotFound(id: id) }
        guard record.origin == .manual else { throw StoreError.notManual(id: id, origin: record.origin) }
        return record
    }

    static func refuseDuplicate(_ db: Database, broker: String, accountId: String, symbol: String, except id: Int64?) throws {
        let existing = try PositionRecord
            .filter(Column("broker") == broker && Column("accountId") == accountId && Column("origin") == PositionOrigin.manual.rawValue)
            .filter(Column("symbol") == symbol && Column("closedAt") == nil)
            .fetchOne(db)
        if let existing, let existingId = existing.id, existingId != id {
            throw StoreError.duplicatePosition(broker: broker, accountId: accountId, symbol: symbol, existingId: existingId)
        }
    }
}
