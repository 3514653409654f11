import GRDB
import TickhubCore

extension PositionStore {
    /// Makes the stored IBKR positions of `accountId` match what IBKR reports, in one transaction: reported
    /// positions are updated or added, stored ones IBKR no longer reports (or reports at zero) are closed.
    ///
    /// The account is created (active) if new. A reported position that fails validation (a symbol the
    /// grammar refuses, a non-finite quantity, …) is skipped and listed in the result, and an open position
    /// with its symbol is kept, not closed: a bad report never loses a holding. Contracts with a `conId` are
    /// recorded in the instrument table.
    @discardableResult
    public func syncIBKR(accountId: String, positions: [BrokerPosition]) async throws(StoreError) -> IBKRSyncResult {
        let broker = BrokerAccount.ibkr
        try BrokerAccount.validate(broker: broker, accountId: accountId)

        var held: [String: ValidPosition] = [:]
        var keep: Set<String> = []
        var skipped: [IBKRSyncResult.Skipped] = []
        var instruments: [InstrumentRecord] = []
        for report in positions {
            let instrument = try? SymbolGrammar.parse(report.symbol)
            guard report.quantity != 0 else { continue }
            let draft = PositionDraft(
                symbol: report.symbol, quantity: report.quantity, averageCost: report.averageCost,
                multiplier: report.multiplier, currency: report.currency, securityType: report.securityType.rawValue)
            do {
                let valid = try draft.validated()
                if held[valid.symbol] != nil {
                    // Two contracts mapping to one symbol cannot be told apart here: keep the first, report the rest.
                    skipped.append(.init(symbol: report.symbol, reason: "reported twice for the account"))
                    continue
                }
                held[valid.symbol] = valid
                if let conId = report.conId {
                    instruments.append(InstrumentRecord(
                        symbol: valid.symbol, conId: conId, securityType: valid.securityType,
                        exchange: report.exchange ?? instrument?.exchange ?? "SMART", currency: valid.currency, multiplier: valid.multiplier))
                }
            } catch {
                skipped.append(.init(symbol: report.symbol, reason: error.description))
                if let instrument { keep.insert(instrument.symbol) }
            }
        }

        let now = self.now
        let toStore = Array(held.values).sorted { $0.symbol < $1.symbol }
        let changes = try await write { [keep, instruments] db in
            let account = BrokerAccount(broker: broker, accountId: accountId)
            if try !account.exists(db) { try account.insert(db) }
            for instrument in instruments { try instrument.upsert(db) }
            return try Self.replaceOpenPositions(
                db, broker: broker, accountId: accountId, origin: .ibkr, with: toStore, keepingOpen: keep, at: now)
        }
        for skip in skipped {
            logger.warning(
                "IBKR position skipped", metadata: ["account": "\(accountId)", "symbol": "\(skip.symbol)", "reason": "\(skip.reason)"])
        }
        if !changes.inserted.isEmpty || !changes.updated.isEmpty || !changes.closed.isEmpty {
            logger.info(
                "IBKR positions synced",
                metadata: [
                    "account": "\(accountId)", "inserted": "\(changes.inserted.count)",
                    "updated": "\(changes.updated.count)", "closed": "\(changes.closed.count)",
                ])
        }
        return IBKRSyncResult(changes: changes, skipped: skipped)
    }
}
