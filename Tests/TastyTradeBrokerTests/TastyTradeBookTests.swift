import TastyTrade
import Testing

@testable import TastyTradeBroker

@Suite struct TastyTradeBookTests {
    static func position(_ symbol: String, _ quantity: Double, account: String = "5WT00001") -> TastyPosition {
        TastyPosition(accountNumber: account, symbol: symbol, instrumentType: .equity, quantity: quantity, averageOpenPrice: 1)
    }

    @Test func aFetchDoesNotUndoWhatStreamedDuringIt() {
        var book = TastyTradeBook()
        book.beginFetch(account: "5WT00001")
        // Streamed before the first fetch landed: kept for it, nothing to tell yet.
        #expect(book.streamed(Self.position("AAPL", 60)) == nil)
        // The fetch's answer was taken before that fill.
        let first = book.finishFetch(account: "5WT00001", positions: [Self.position("AAPL", 50), Self.position("MSFT", -20)],
                                     balance: TastyBalance(accountNumber: "5WT00001"))
        #expect(first.positions.map(\.quantity) == [60, -20])

        book.beginFetch(account: "5WT00001")
        book.beginFetch(account: "5WT00001")
        #expect(book.streamed(Self.position("MSFT", 0))?.map(\.symbol) == ["AAPL"])
        var streamedBalance = TastyBalance(accountNumber: "5WT00001")
        streamedBalance.cashBalance = 10
        #expect(book.streamed(streamedBalance)?.cashBalance == 10)
        // Two overlapping fetches, both older than the close of MSFT and the balance: neither brings them back.
        let stale = [Self.position("AAPL", 60), Self.position("MSFT", -20)]
        #expect(book.finishFetch(account: "5WT00001", positions: stale, balance: TastyBalance(accountNumber: "5WT00001")).positions.map(\.symbol) == ["AAPL"])
        let second = book.finishFetch(account: "5WT00001", positions: stale, balance: TastyBalance(accountNumber: "5WT00001"))
        #expect(second.positions.map(\.symbol) == ["AAPL"])
        #expect(second.balance.cashBalance == 10)
        // With no fetch under way, the next fetch is the truth.
        #expect(book.finishFetch(account: "5WT00001", positions: stale, balance: TastyBalance(accountNumber: "5WT00001")).positions.count == 2)
    }

    @Test func aStreamedFillKeepsTheMarkOfTheLastFetch() {
        var book = TastyTradeBook()
        book.beginFetch(account: "5WT00001")
        var fetched = Self.position("AAPL", 50)
        fetched.mark = 230.1
        _ = book.finishFetch(account: "5WT00001", positions: [fetched], balance: TastyBalance(accountNumber: "5WT00001"))
        let afterFill = book.streamed(Self.position("AAPL", 60))
        #expect(afterFill?.first?.quantity == 60)
        #expect(afterFill?.first?.mark == 230.1)
        // Closed and opened again: no mark is carried from the closed position.
        _ = book.streamed(Self.position("AAPL", 0))
        #expect(book.streamed(Self.position("AAPL", 5))?.first?.mark == nil)
    }

    @Test func otherAccountsAreNotTouched() {
        var book = TastyTradeBook()
        book.beginFetch(account: "5WT00001")
        _ = book.finishFetch(account: "5WT00001", positions: [Self.position("AAPL", 1)], balance: TastyBalance(accountNumber: "5WT00001"))
        #expect(book.streamed(Self.position("NVDA", 5, account: "5WT00009")) == nil)
        #expect(book.positions(account: "5WT00001")?.map(\.symbol) == ["AAPL"])
        #expect(book.positions(account: "5WT00009") == nil)
    }
}
