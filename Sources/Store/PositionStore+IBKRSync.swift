extension PositionStore {
    /// `syncBroker` for IBKR's positions (origin `ibkr`, broker `ibkr`).
    @discardableResult
    public func syncIBKR(accountId: String, positions: [BrokerPosition]) async throws(StoreError) -> IBKRSyncResult {
        try await syncBroker(BrokerAccount.ibkr, origin: .ibkr, accountId: accountId, positions: positions)
    }
}
