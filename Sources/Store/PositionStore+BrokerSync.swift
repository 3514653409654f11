import GRDB
import TickhubCore

extension PositionStore {
    /// Makes the stored positions `broker` synced for `accountId` match what the broker reports, in one transaction:
    /// reported positions are updated or added, stored ones it no longer reports (or reports at zero) are closed.
    /// The account's manual and imported positions are closed too (`superseded`): the broker now speaks for the
    /// account. Other accounts, and other brokers, are untouched.
    ///
    /// The account is created (active) if new. A reported position that fails validation (a symbol the grammar
    /// refuses, a non-finite quantity, …) is skipped and listed in the result, and an open position with its symbol
    /// is kept, not closed: a bad report never loses a holding. A position with an `unvaluedReason` is stored under
    /// the broker's symbol with that reason. Contracts with a `conId` are recorded in the instrument table.
    @discardableResult
    public func syncBroker(_ broker: String, origin: PositionOrigin, accountId: String, positions: [BrokerPosition])
        async throws(StoreError) -> BrokerSyncResult
    {
        try BrokerAccount.validate(broker: broker, accountId: accountId)
        precondition(origin.isSynced, "syncBroker writes a broker's own rows, not \(origin.rawValue) ones")

        var held: [String: ValidPosition] = [:]
        var keep: Set<String> = []
        var skipped: [BrokerSyncResult.Skipped] = []
        var instruments: [InstrumentRecord] = []
        for report in positions {
            guard report.quantity != 0 else { continue }
            let instrument = report.unvaluedReason == nil ? try? SymbolGrammar.parse(report.symbol) : nil
            let draft = PositionDraft(
                symbol: report.symbol, quantity: report.quantity, averageCost: report.averageCost,
                multiplier: report.multiplier, currency: report.currency, securityType: report.securityType.rawValue)
            do {
                let valid = if let reason = report.unvaluedReason {
                    try draft.validatedUnvalued(reason: reason, securityType: report.securityType)
                } else {
                    try draft.validated()
                }
                if held[valid.symbol] != nil {
                    // Two contracts mapping to one symbol cannot be told apart here: keep the first, report the rest.
                    skipped.append(.init(symbol: report.symbol, reason: "reported twice for the account"))
                    continue
                }
                held[valid.symbol] = valid
                if let conId = report.conId, valid.unvaluedReason == nil {
                    instruments.append(InstrumentRecord(
                        symbol: valid.symbol, conId: conId, securityType: valid.securityType,
                        exchange: report.exchange ?? instrument?.exchange ?? "SMART", currency: valid.currency, multiplier: valid.multiplier))
                }
            } catch {
                skipped.append(.init(symbol: report.symbol, reason: error.description))
                keep.insert(instrument?.symbol ?? report.symbol.trimmingCharacters(in: .whitespaces))
            }
        }

        let now = self.now
        let toStore = Array(held.values).sorted { $0.symbol < $1.symbol }
        let (changes, superseded) = try await write { [keep, instruments] db in
            let account = BrokerAccount(broker: broker, accountId: accountId)
            if try !account.exists(db) { try account.insert(db) }
            for instrument in instruments { try instrument.upsert(db) }
            let changes = try Self.replaceOpenPositions(
                db, broker: broker, accountId: accountId, origin: origin, with: toStore, keepingOpen: keep, at: now)
            var superseded: [Int64] = []
            for entered in [PositionOrigin.manual, .import] {
                superseded += try Self.replaceOpenPositions(db, broker: broker, accountId: accountId, origin: entered, with: [], at: now).closed
            }
            return (changes, superseded)
        }
        let label = broker == BrokerAccount.ibkr ? "IBKR" : broker
        for skip in skipped {
            logger.warning(
                "\(label) position skipped", metadata: ["account": "\(accountId)", "symbol": "\(skip.symbol)", "reason": "\(skip.reason)"])
        }
        if !superseded.isEmpty {
            logger.notice("\(label) now reports account \(accountId): its \(superseded.count) entered or imported positions closed")
        }
        if !changes.inserted.isEmpty || !changes.updated.isEmpty || !changes.closed.isEmpty {
            logger.info(
                "\(label) positions synced",
                metadata: [
                    "account": "\(accountId)", "inserted": "\(changes.inserted.count)",
                    "updated": "\(changes.updated.count)", "closed": "\(changes.closed.count)",
                ])
        }
        return BrokerSyncResult(changes: changes, skipped: skipped, superseded: superseded)
    }
}
