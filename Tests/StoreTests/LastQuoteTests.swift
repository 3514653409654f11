import Testing
import TickhubCore
@testable import Store

@Suite("Last quotes")
struct LastQuoteTests {
    @Test func quotesComeBackWithEveryFieldAndFlaggedStale() async throws {
        let directory = TemporaryDirectory()
        var aapl = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1_700_000_000_123, delayed: false, stale: false)
        aapl.bid = 187.1
        aapl.ask = 187.2
        aapl.last = 187.15
        aapl.bidSize = 300
        aapl.askSize = 200
        aapl.lastSize = 100
        aapl.volume = 51_234_567
        aapl.open = 185
        aapl.high = 188
        aapl.low = 184.5
        aapl.close = 186
        aapl.lastTradeTime = 1_700_000_000_100
        let eurusd = Quote(symbol: "EUR.USD", source: .yahoo, timestamp: 5, delayed: true)

        do {
            let store = try openStore(directory.file())
            try await store.saveLastQuotes([aapl, eurusd])
            var newer = aapl
            newer.last = 187.3
            newer.timestamp += 1000
            try await store.saveLastQuotes([newer])
            aapl = newer
        }
        let loaded = try await openStore(directory.file()).loadLastQuotes()

        var expected = aapl
        expected.stale = true
        var expectedFX = eurusd
        expectedFX.stale = true
        #expect(loaded == [expected, expectedFX])
        #expect(loaded.allSatisfy { $0.stale })
    }

    @Test func rowsFromAnUnknownSourceAreLeftOut() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        try await store.saveLastQuotes([Quote(symbol: "AAPL", source: .push, timestamp: 1)])
        try await store.write { db in
            try db.execute(sql: "INSERT INTO lastQuote (symbol, timestamp, source, delayed) VALUES ('MSFT', 1, 'carrierpigeon', 0)")
        }
        #expect(try await store.loadLastQuotes().map(\.symbol) == ["AAPL"])
    }
}
