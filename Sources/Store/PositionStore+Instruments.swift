import GRDB

extension PositionStore {
    /// Adds or replaces instruments by symbol, in one transaction.
    public func saveInstruments(_ instruments: [InstrumentRecord]) async throws(StoreError) {
        guard !instruments.isEmpty else { return }
        try await write { db in
            for instrument in instruments { try instrument.upsert(db) }
        }
    }

    public func instrument(symbol: String) async throws(StoreError) -> InstrumentRecord? {
        try await read { db in try InstrumentRecord.fetchOne(db, key: symbol) }
    }

    public func instruments() async throws(StoreError) -> [InstrumentRecord] {
        try await read { db in try InstrumentRecord.order(Column("symbol")).fetchAll(db) }
    }
}
