import Testing
@testable import Store

@Suite("Broker accounts")
struct AccountTests {
    @Test func createReadUpdateDelete() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let created = try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")
        #expect(created == BrokerAccount(broker: "tastytrade", accountId: "5WT00001", label: "5WT00001", active: true))
        try await store.createAccount(broker: "ibkr", accountId: "DU123", label: "Paper")
        #expect(try await store.accounts().map(\.accountId) == ["DU123", "5WT00001"])

        let updated = try await store.updateAccount(broker: "ibkr", accountId: "DU123", label: "Paper trading", active: false)
        #expect(updated.label == "Paper trading" && !updated.active)
        #expect(try await store.account(broker: "ibkr", accountId: "DU123") == updated)

        try await store.deleteAccount(broker: "ibkr", accountId: "DU123")
        #expect(try await store.account(broker: "ibkr", accountId: "DU123") == nil)
    }

    @Test func refusals() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")

        #expect(await storeError { try await store.createAccount(broker: "tastytrade", accountId: "5WT00001") }
            == .accountExists(broker: "tastytrade", accountId: "5WT00001"))
        #expect(await storeError { try await store.updateAccount(broker: "tastytrade", accountId: "nope", active: false) }
            == .unknownAccount(broker: "tastytrade", accountId: "nope"))
        #expect(await storeError { try await store.deleteAccount(broker: "tastytrade", accountId: "nope") }
            == .unknownAccount(broker: "tastytrade", accountId: "nope"))
        for (broker, accountId) in [("", "A1"), ("Tasty Trade", "A1"), ("ib:kr", "A1"), ("ibkr", ""), ("ibkr", "DU 123")] {
            guard case .invalidAccount = await storeError({ try await store.createAccount(broker: broker, accountId: accountId) }) else {
                Issue.record("\(broker):\(accountId) should be refused")
                continue
            }
        }
    }

    @Test func anAccountWithPositionsIsOnlyDeletedWithThem() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")
        try await store.insertManual(.stock("AAPL", 10, at: 150), broker: "tastytrade", accountId: "5WT00001")

        #expect(await storeError { try await store.deleteAccount(broker: "tastytrade", accountId: "5WT00001") }
            == .accountHasPositions(broker: "tastytrade", accountId: "5WT00001", count: 1))
        #expect(try await store.openPositions().count == 1)

        try await store.deleteAccount(broker: "tastytrade", accountId: "5WT00001", deletingPositions: true)
        #expect(try await store.openPositions().isEmpty)
        #expect(try await store.accounts().isEmpty)
    }

    @Test func inactiveAccountsAreLeftOutOfOpenPositions() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.createAccount(broker: "tastytrade", accountId: "A")
        try await store.createAccount(broker: "schwab", accountId: "B")
        try await store.insertManual(.stock("AAPL", 1, at: 1), broker: "tastytrade", accountId: "A")
        try await store.insertManual(.stock("MSFT", 1, at: 1), broker: "schwab", accountId: "B")
        try await store.updateAccount(broker: "schwab", accountId: "B", active: false)

        #expect(try await store.openPositions().map(\.symbol) == ["AAPL"])
        #expect(try await store.openPositions(includingInactiveAccounts: true).map(\.symbol) == ["MSFT", "AAPL"])
        #expect(try await store.openPositions(broker: "schwab").isEmpty)
        #expect(try await store.openPositions(broker: "tastytrade").map(\.symbol) == ["AAPL"])
    }
}
