import GRDB
import TickhubCore

extension PositionStore {
    /// Keeps the latest quote per symbol (replacing what was stored), all in one transaction.
    public func saveLastQuotes(_ quotes: [Quote]) async throws(StoreError) {
        guard !quotes.isEmpty else { return }
        let records = quotes.filter { !$0.symbol.isEmpty }.map(LastQuoteRecord.init)
        try await write { db in
            for record in records { try record.upsert(db) }
        }
    }

    /// Every stored quote, by symbol, each flagged `stale = true`: a quote from disk is not live until the
    /// feed refreshes it. Rows from a quote source this build does not know are left out.
    public func loadLastQuotes() async throws(StoreError) -> [Quote] {
        try await read { db in
            try LastQuoteRecord.order(Column("symbol")).fetchAll(db).compactMap(\.quote)
        }
    }
}
