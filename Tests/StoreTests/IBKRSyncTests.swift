import Testing
import TickhubCore
@testable import Store

@Suite("IBKR sync")
struct IBKRSyncTests {
    let directory = TemporaryDirectory()
    let clock = TestClock()
    let store: PositionStore

    init() throws {
        store = try openStore(directory.file(), clock: clock)
    }

    static func stock(_ symbol: String, _ quantity: Double, _ cost: Double = 100) -> BrokerPosition {
        BrokerPosition(symbol: symbol, securityType: .stock, quantity: quantity, averageCost: cost)
    }

    func open(_ accountId: String) async throws -> [String: PositionRecord] {
        Dictionary(uniqueKeysWithValues: try await store.positions(broker: "ibkr", accountId: accountId)
            .filter(\.isOpen).map { ($0.symbol, $0) })
    }

    @Test func firstSyncCreatesTheAccountAndThePositions() async throws {
        let option = BrokerPosition(
            symbol: "SPY 251219C00600000", securityType: .option, quantity: 2, averageCost: 1235.5, multiplier: 100,
            conId: 700_000_001, exchange: "CBOE")
        let result = try await store.syncIBKR(accountId: "DU123", positions: [Self.stock("AAPL", 100, 187), option])
        #expect(result.changes.inserted.count == 2 && result.skipped.isEmpty)
        #expect(try await store.account(broker: "ibkr", accountId: "DU123")?.active == true)

        let positions = try await open("DU123")
        #expect(positions["AAPL"]?.origin == .ibkr && positions["AAPL"]?.quantity == 100)
        #expect(positions["SPY 251219C00600000"]?.averageCost == 1235.5)
        #expect(try await store.instrument(symbol: "SPY 251219C00600000")
            == InstrumentRecord(symbol: "SPY 251219C00600000", conId: 700_000_001, securityType: .option, exchange: "CBOE", currency: "USD", multiplier: 100))
    }

    @Test func vanishedPositionsCloseAndTheOthersStay() async throws {
        try await store.syncIBKR(accountId: "DU123", positions: [Self.stock("AAPL", 100), Self.stock("MSFT", 50), Self.stock("IBM", 10)])
        try await store.syncIBKR(accountId: "DU456", positions: [Self.stock("AAPL", 7)])
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")
        let manual = try await store.insertManual(.stock("MSFT", 3, at: 250), broker: "tastytrade", accountId: "5WT00001")
        let first = try await open("DU123")
        clock.advance(by: 5000)

        // MSFT is gone, IBM reported at zero (closed today), AAPL changed, NVDA is new.
        let result = try await store.syncIBKR(
            accountId: "DU123", positions: [Self.stock("AAPL", 120, 101), Self.stock("IBM", 0), Self.stock("NVDA", 5)])
        #expect(result.changes.updated == [first["AAPL"]!.id!])
        #expect(Set(result.changes.closed) == [first["MSFT"]!.id!, first["IBM"]!.id!])
        #expect(result.changes.inserted.count == 1)

        let now = try await open("DU123")
        #expect(now.keys.sorted() == ["AAPL", "NVDA"])
        #expect(now["AAPL"]?.id == first["AAPL"]?.id && now["AAPL"]?.quantity == 120 && now["AAPL"]?.updatedAt == clock.now)
        let msft = try #require(try await store.position(id: first["MSFT"]!.id!))
        #expect(msft.closedAt == clock.now && msft.quantity == 50)

        // Other accounts and other origins are untouched.
        #expect(try await open("DU456").keys.sorted() == ["AAPL"])
        #expect(try await store.position(id: manual.id!) == manual)

        // A position reported again after closing opens a new row; the closed one stays as history.
        let reopened = try await store.syncIBKR(accountId: "DU123", positions: [Self.stock("AAPL", 120, 101), Self.stock("NVDA", 5), Self.stock("MSFT", 1)])
        #expect(reopened.changes.inserted.count == 1 && reopened.changes.unchanged == 2)
        #expect(try await store.positions(broker: "ibkr", accountId: "DU123").filter { $0.symbol == "MSFT" }.count == 2)
    }

    @Test func anEmptyReportClosesEverything() async throws {
        try await store.syncIBKR(accountId: "DU123", positions: [Self.stock("AAPL", 1), Self.stock("MSFT", 1)])
        let result = try await store.syncIBKR(accountId: "DU123", positions: [])
        #expect(result.changes.closed.count == 2)
        #expect(try await open("DU123").isEmpty)
    }

    @Test func aBadReportIsSkippedAndNeverClosesAHolding() async throws {
        try await store.syncIBKR(accountId: "DU123", positions: [Self.stock("AAPL", 10), Self.stock("MSFT", 5)])
        let result = try await store.syncIBKR(
            accountId: "DU123",
            positions: [Self.stock("AAPL", .nan), Self.stock("MSFT", 5), Self.stock("BAD$", 1), Self.stock("msft", 6)])
        #expect(result.skipped.map(\.symbol) == ["AAPL", "BAD$", "msft"])
        #expect(result.changes.closed.isEmpty)
        let positions = try await open("DU123")
        #expect(positions["AAPL"]?.quantity == 10 && positions["MSFT"]?.quantity == 5)
    }
}
