import GRDB

extension PositionStore {
    /// All accounts, by broker then account id.
    public func accounts() async throws(StoreError) -> [BrokerAccount] {
        try await read { db in
            try BrokerAccount.order(Column("broker"), Column("accountId")).fetchAll(db)
        }
    }

    public func account(broker: String, accountId: String) async throws(StoreError) -> BrokerAccount? {
        try await read { db in try BrokerAccount.fetchOne(db, key: ["broker": broker, "accountId": accountId]) }
    }

    /// Creates an account; fails with `accountExists` if the broker already has that account id.
    @discardableResult
    public func createAccount(broker: String, accountId: String, label: String? = nil, active: Bool = true)
        async throws(StoreError) -> BrokerAccount
    {
        try BrokerAccount.validate(broker: broker, accountId: accountId)
        let account = BrokerAccount(broker: broker, accountId: accountId, label: label, active: active)
        return try await write { db in
            guard try !account.exists(db) else { throw StoreError.accountExists(broker: broker, accountId: accountId) }
            try account.insert(db)
            return account
        }
    }

    /// Changes an account's label and/or active flag (nil leaves a field as it is).
    @discardableResult
    public func updateAccount(broker: String, accountId: String, label: String? = nil, active: Bool? = nil)
        async throws(StoreError) -> BrokerAccount
    {
        try await write { db in
            guard var account = try BrokerAccount.fetchOne(db, key: ["broker": broker, "accountId": accountId]) else {
                throw StoreError.unknownAccount(broker: broker, accountId: accountId)
            }
            if let label { account.label = label }
            if let active { account.active = active }
            try account.update(db)
            return account
        }
    }

    /// Deletes an account. Its positions (open and closed) go with it only when `deletingPositions` is true;
    /// otherwise an account with positions is refused with `accountHasPositions`.
    public func deleteAccount(broker: String, accountId: String, deletingPositions: Bool = false) async throws(StoreError) {
        try await write { db in
            let positions = PositionRecord.filter(Column("broker") == broker && Column("accountId") == accountId)
            let count = try positions.fetchCount(db)
            if count > 0 {
                guard deletingPositions else {
                    throw StoreError.accountHasPositions(broker: broker, accountId: accountId, count: count)
                }
                try positions.deleteAll(db)
            }
            guard try BrokerAccount.deleteOne(db, key: ["broker": broker, "accountId": accountId]) else {
                throw StoreError.unknownAccount(broker: broker, accountId: accountId)
            }
        }
    }

    /// Throws `unknownAccount` unless the account exists.
    static func requireAccount(_ db: Database, broker: String, accountId: String) throws {
        guard try BrokerAccount.exists(db, key: ["broker": broker, "accountId": accountId]) else {
            throw StoreError.unknownAccount(broker: broker, accountId: accountId)
        }
    }
}
