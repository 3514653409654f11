import Testing
import TickhubCore
@testable import Store

@Suite("Manual positions")
struct ManualPositionTests {
    let directory = TemporaryDirectory()
    let clock = TestClock()
    let store: PositionStore

    init() async throws {
        store = try openStore(directory.file(), clock: clock)
        try await store.createAccount(broker: "tastytrade", accountId: "5WT00001")
    }

    @Test func insertFillsDefaultsFromTheSymbol() async throws {
        let stock = try await store.insertManual(.stock(" aapl ", 10, at: 150.25), broker: "tastytrade", accountId: "5WT00001")
        #expect(stock.id != nil)
        #expect(stock.symbol == "AAPL" && stock.securityType == .stock && stock.multiplier == 1 && stock.currency == "USD")
        #expect(stock.origin == .manual && stock.updatedAt == clock.now && stock.closedAt == nil)

        let option = try await store.insertManual(
            PositionDraft(symbol: "SPY 250321P00550000", quantity: -2, averageCost: 4.15), broker: "tastytrade", accountId: "5WT00001")
        #expect(option.securityType == .option && option.multiplier == 100 && option.quantity == -2)

        let future = try await store.insertManual(
            PositionDraft(symbol: "ESZ5", quantity: 1, averageCost: 6000, multiplier: 50, securityType: "fut"),
            broker: "tastytrade", accountId: "5WT00001")
        #expect(future.securityType == .future && future.multiplier == 50)

        let fx = try await store.insertManual(
            PositionDraft(symbol: "EUR.USD", quantity: 10000, averageCost: 1.08), broker: "tastytrade", accountId: "5WT00001")
        #expect(fx.securityType == .forex && fx.currency == "USD")

        #expect(try await store.position(id: stock.id!) == stock)
        #expect(try await store.openPositions(broker: "tastytrade").count == 4)
    }

    @Test func updateRewritesFieldsAndStampsTheTime() async throws {
        let inserted = try await store.insertManual(.stock("AAPL", 10, at: 150), broker: "tastytrade", accountId: "5WT00001")
        clock.advance(by: 60_000)
        let updated = try await store.update(
            id: inserted.id!, PositionDraft(symbol: "AAPL", quantity: 15, averageCost: 152, currency: "usd"))
        #expect(updated.id == inserted.id && updated.quantity == 15 && updated.averageCost == 152)
        #expect(updated.updatedAt == inserted.updatedAt + 60_000)
        #expect(try await store.position(id: inserted.id!) == updated)

        // Writing the same values again is not a change.
        clock.advance(by: 60_000)
        #expect(try await store.update(id: inserted.id!, PositionDraft(symbol: "AAPL", quantity: 15, averageCost: 152)).updatedAt == updated.updatedAt)
    }

    @Test func deleteRemovesTheRow() async throws {
        let inserted = try await store.insertManual(.stock("AAPL", 10, at: 150), broker: "tastytrade", accountId: "5WT00001")
        try await store.delete(id: inserted.id!)
        #expect(try await store.position(id: inserted.id!) == nil)
        #expect(await storeError { try await store.delete(id: inserted.id!) } == .positionNotFound(id: inserted.id!))
    }

    static let invalidDrafts: [(PositionDraft, PositionValidationError)] = [
        (PositionDraft(symbol: "", quantity: 1, averageCost: 1), .invalidSymbol(.empty)),
        (PositionDraft(symbol: "AA$PL", quantity: 1, averageCost: 1), .invalidSymbol(.invalidCharacters("AA$PL"))),
        (PositionDraft(symbol: String(repeating: "A", count: 40), quantity: 1, averageCost: 1), .invalidSymbol(.tooLong(40))),
        (PositionDraft(symbol: "SPY 251399P00550000", quantity: 1, averageCost: 1), .invalidSymbol(.malformedOption("SPY 251399P00550000"))),
        (PositionDraft(symbol: "AAPL", quantity: 0, averageCost: 1), .quantityZero),
        (PositionDraft(symbol: "AAPL", quantity: .nan, averageCost: 1), .quantityNotFinite("nan")),
        (PositionDraft(symbol: "AAPL", quantity: .infinity, averageCost: 1), .quantityNotFinite("inf")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: .nan), .averageCostNotFinite("nan")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: 1, multiplier: 0), .multiplierNotPositive("0")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: 1, multiplier: -100), .multiplierNotPositive("-100")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: 1, multiplier: .infinity), .multiplierNotPositive("inf")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: 1, securityType: "BOND"), .unknownSecurityType("BOND")),
        (PositionDraft(symbol: "SPX", quantity: 1, averageCost: 1, securityType: "IND"), .unknownSecurityType("IND")),
        (PositionDraft(symbol: "AAPL", quantity: 1, averageCost: 1, currency: "US"), .invalidCurrency("US")),
    ]

    @Test(arguments: invalidDrafts)
    func everyValidationErrorRefusesTheInsertAndTheUpdate(draft: PositionDraft, expected: PositionValidationError) async throws {
        #expect(await storeError { try await store.insertManual(draft, broker: "tastytrade", accountId: "5WT00001") }
            == .invalidPosition(expected))
        let existing = try await store.insertManual(.stock("MSFT", 1, at: 300), broker: "tastytrade", accountId: "5WT00001")
        #expect(await storeError { try await store.update(id: existing.id!, draft) } == .invalidPosition(expected))
        #expect(try await store.openPositions() == [existing])
        #expect(!StoreError.invalidPosition(expected).description.isEmpty)
    }

    @Test func refusalsByState() async throws {
        #expect(await storeError { try await store.insertManual(.stock("AAPL", 1, at: 1), broker: "tastytrade", accountId: "NOPE") }
            == .unknownAccount(broker: "tastytrade", accountId: "NOPE"))

        let aapl = try await store.insertManual(.stock("AAPL", 10, at: 150), broker: "tastytrade", accountId: "5WT00001")
        #expect(await storeError { try await store.insertManual(.stock("aapl", 5, at: 1), broker: "tastytrade", accountId: "5WT00001") }
            == .duplicatePosition(broker: "tastytrade", accountId: "5WT00001", symbol: "AAPL", existingId: aapl.id!))

        let msft = try await store.insertManual(.stock("MSFT", 1, at: 300), broker: "tastytrade", accountId: "5WT00001")
        #expect(await storeError { try await store.update(id: msft.id!, .stock("AAPL", 1, at: 300)) }
            == .duplicatePosition(broker: "tastytrade", accountId: "5WT00001", symbol: "AAPL", existingId: aapl.id!))

        #expect(await storeError { try await store.update(id: 9999, .stock("AAPL", 1, at: 1)) } == .positionNotFound(id: 9999))

        let ibkr = try await store.syncIBKR(accountId: "DU123", positions: [BrokerPosition(symbol: "IBM", securityType: .stock, quantity: 3, averageCost: 200)])
        let ibkrId = ibkr.changes.inserted[0]
        #expect(await storeError { try await store.update(id: ibkrId, .stock("IBM", 1, at: 1)) } == .notManual(id: ibkrId, origin: .ibkr))
        #expect(await storeError { try await store.delete(id: ibkrId) } == .notManual(id: ibkrId, origin: .ibkr))
        #expect(try await store.position(id: ibkrId)?.quantity == 3)

        // A closed manual position is history: not editable (it can still be deleted).
        try await store.write { db in try db.execute(sql: "UPDATE position SET closedAt = 1 WHERE id = ?", arguments: [msft.id!]) }
        #expect(await storeError { try await store.update(id: msft.id!, .stock("MSFT", 2, at: 300)) } == .positionClosed(id: msft.id!))
        try await store.delete(id: msft.id!)
    }
}
