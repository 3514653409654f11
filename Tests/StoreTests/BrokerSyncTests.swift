import Foundation
import GRDB
import Testing
import TickhubCore
@testable import Store

@Suite("Broker sync")
struct BrokerSyncTests {
    let directory = TemporaryDirectory()
    let clock = TestClock()
    let store: PositionStore

    init() throws {
        store = try openStore(directory.file(), clock: clock)
    }

    static let future = BrokerPosition(
        symbol: "/ESZ6", securityType: .future, quantity: -2, averageCost: 6_012.25, multiplier: 50,
        unvaluedReason: "futures are not in Tickhub's symbol grammar")

    func open(_ broker: String, _ accountId: String) async throws -> [String: PositionRecord] {
        Dictionary(uniqueKeysWithValues: try await store.positions(broker: broker, accountId: accountId)
            .filter(\.isOpen).map { ($0.symbol, $0) })
    }

    @Test func tastyTradePositionsAreStoredUnderTheirOriginWithTheUnvaluedKept() async throws {
        let option = BrokerPosition(symbol: "SPY   261218C00600000", securityType: .option, quantity: 1, averageCost: 12.5, multiplier: 100)
        let result = try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT00001",
                                                positions: [.init(symbol: "AAPL", securityType: .stock, quantity: -10, averageCost: 190), option, Self.future])
        #expect(result.skipped.isEmpty && result.changes.inserted.count == 3)
        let rows = try await open("tastytrade", "5WT00001")
        #expect(rows.keys.sorted() == ["/ESZ6", "AAPL", "SPY 261218C00600000"])
        #expect(rows.values.allSatisfy { $0.origin == .tastytrade })
        #expect(rows["AAPL"]?.quantity == -10 && rows["AAPL"]?.unvaluedReason == nil)
        #expect(rows["/ESZ6"]?.unvaluedReason == "futures are not in Tickhub's symbol grammar")
        #expect(rows["/ESZ6"]?.securityType == .future && rows["/ESZ6"]?.multiplier == 50 && rows["/ESZ6"]?.quantity == -2)
        // The same report again changes nothing.
        let again = try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT00001",
                                               positions: [.init(symbol: "AAPL", securityType: .stock, quantity: -10, averageCost: 190), option, Self.future])
        #expect(again.changes.unchanged == 3 && again.changes.inserted.isEmpty && again.changes.updated.isEmpty && again.changes.closed.isEmpty)
    }

    @Test func aSyncReplacesItsAccountsRowsAndLeavesOtherAccountsAlone() async throws {
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00002")
        let otherAccount = try await store.insertManual(.stock("MSFT", 3, at: 250), broker: "tastytrade", accountId: "5WT00002")
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")
        let sameAccount = try await store.insertManual(.stock("AAPL", 7, at: 150), broker: "tastytrade", accountId: "5WT00001")
        try await store.syncIBKR(accountId: "DU123", positions: [.init(symbol: "IBM", securityType: .stock, quantity: 3, averageCost: 200)])

        let first = try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT00001",
                                               positions: [.init(symbol: "AAPL", securityType: .stock, quantity: 100, averageCost: 180), Self.future])
        // The broker now speaks for 5WT00001: the hand-entered AAPL would count it twice.
        #expect(first.superseded == [sameAccount.id!])
        clock.advance(by: 1000)
        let second = try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT00001",
                                                positions: [.init(symbol: "AAPL", securityType: .stock, quantity: 60, averageCost: 180)])
        let before = try await open("tastytrade", "5WT00001")
        #expect(before.keys.sorted() == ["AAPL"] && before["AAPL"]?.quantity == 60 && before["AAPL"]?.origin == .tastytrade)
        #expect(second.changes.updated.count == 1 && second.changes.closed.count == 1 && second.superseded.isEmpty)

        #expect(try await store.position(id: otherAccount.id!)?.isOpen == true)
        #expect(try await open("ibkr", "DU123").keys.sorted() == ["IBM"])
        // Synced rows are the broker's: never edited by hand.
        let aapl = before["AAPL"]!.id!
        #expect(await storeError { try await store.update(id: aapl, .stock("AAPL", 1, at: 1)) } == .notManual(id: aapl, origin: .tastytrade))
    }

    @Test func anUnvaluedRowMustStillBeAPosition() async throws {
        var bad = Self.future
        bad.quantity = .nan
        var blank = Self.future
        blank.symbol = "  "
        let result = try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT00001", positions: [bad, blank])
        #expect(result.skipped.map(\.reason).count == 2)
        #expect(try await open("tastytrade", "5WT00001").isEmpty)
    }

    /// A database of the release before (the position table's checks without `tastytrade`) keeps every row and id.
    @Test func theMigrationKeepsEveryPositionAndTakesTheNewOrigin() async throws {
        let path = directory.file("old.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            var migrator = DatabaseMigrator()
            for (name, migrate) in [("v1", StoreMigrations.v1), ("v2", StoreMigrations.v2), ("v3", StoreMigrations.v3),
                                    ("v4-bars", StoreMigrations.v4Bars), ("v5-alert-state", StoreMigrations.v5AlertState)] {
                migrator.registerMigration(name, migrate: migrate)
            }
            try migrator.migrate(pool)
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO brokerAccount (broker, accountId, label, active) VALUES ('ibkr', 'DU1', 'DU1', 1)")
                try db.execute(sql: """
                    INSERT INTO position (id, broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency, origin, updatedAt, closedAt)
                    VALUES (41, 'ibkr', 'DU1', 'AAPL', 'STK', 5, 100, 1, 'USD', 'ibkr', 1, NULL), (42, 'ibkr', 'DU1', 'MSFT', 'STK', 1, 300, 1, 'USD', 'ibkr', 1, 2)
                    """)
                #expect(throws: (any Error).self) {
                    try db.execute(sql: """
                        INSERT INTO position (broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency, origin, updatedAt)
                        VALUES ('ibkr', 'DU1', 'IBM', 'STK', 1, 1, 1, 'USD', 'tastytrade', 1)
                        """)
                }
            }
        }
        let store = try openStore(path, clock: clock)
        #expect(try await store.appliedMigrations().last == "v6-broker-sync")
        let rows = try await store.positions(broker: "ibkr", accountId: "DU1")
        #expect(rows.map(\.id) == [41, 42] && rows.map(\.isOpen) == [true, false] && rows.allSatisfy { $0.unvaluedReason == nil })
        try await store.syncBroker("tastytrade", origin: .tastytrade, accountId: "5WT1", positions: [Self.future])
        #expect(try await store.openPositions().map(\.symbol) == ["AAPL", "/ESZ6"])
        // The unique index came back with the table.
        #expect(await storeError {
            try await store.write { db in
                try db.execute(sql: """
                    INSERT INTO position (broker, accountId, symbol, securityType, quantity, averageCost, multiplier, currency, origin, updatedAt)
                    VALUES ('ibkr', 'DU1', 'AAPL', 'STK', 1, 1, 1, 'USD', 'ibkr', 1)
                    """)
            }
        } != nil)
    }
}
