import Foundation
import Testing
@testable import Store

@Suite struct PositionPagingTests {
    /// Three accounts' imports, 2,500 rows: pages of 1,000 come back in listing order, each row once, and the
    /// cursor keeps its place when rows before and after it change between pages.
    @Test func pagesWalkEveryOpenPositionOnceInOrder() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        func csv(_ account: String, _ numbers: Range<Int>) -> String {
            (["symbol,quantity,average_cost"] + numbers.map { "S\(account)\(String(format: "%04d", $0)),1,10" }).joined(separator: "\n")
        }
        for (account, count) in [("A", 1_000), ("B", 900), ("C", 600)] {
            try await store.createAccount(broker: "schwab", accountId: account)
            _ = try await store.importCSV(text: csv(account, 0..<count), broker: "schwab", accountId: account)
        }
        let all = try await store.openPositions()
        #expect(all.count == 2_500)

        var walked: [PositionRecord] = []
        var cursor: PositionCursor?
        for page in 0..<10 {
            let rows = try await store.openPositions(after: cursor, limit: 1_000)
            walked += rows
            if page == 0 {
                // Between pages: a row before the cursor is closed and one after it is added; neither shifts the walk.
                _ = try await store.importCSV(text: csv("A", 1..<1_000), broker: "schwab", accountId: "A")
                try await store.createAccount(broker: "tastytrade", accountId: "Z")
                try await store.insertManual(.stock("ZZZZ", 1, at: 1), broker: "tastytrade", accountId: "Z")
            }
            guard rows.count == 1_000, let last = rows.last else { break }
            cursor = PositionCursor(after: last)
        }
        #expect(walked.count == 2_501)
        #expect(Set(walked.map(\.id)).count == walked.count)
        // The closed row had already been handed out on the first page.
        #expect(Array(walked.prefix(2_500)) == all)
        #expect(walked.last?.symbol == "ZZZZ")
    }

    @Test func theCursorTokenRoundTripsAndRefusesForgeries() throws {
        let record = PositionRecord(
            id: 42, broker: "schwab", accountId: "A/1", symbol: "SPY 271217C00600000", securityType: .option,
            quantity: 1, averageCost: 1, multiplier: 100, currency: "USD", origin: .import, updatedAt: 1)
        let cursor = PositionCursor(after: record)
        let token = cursor.token
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(PositionCursor(token: token) == cursor)
        for forged in ["", "abc", "W10", "WyJhIiwiYiJd", String(repeating: "A", count: 5_000), "!!!!"] {
            #expect(PositionCursor(token: forged) == nil, "\(forged.prefix(20))")
        }
    }
}
