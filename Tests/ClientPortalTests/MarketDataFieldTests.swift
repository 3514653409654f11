import ClientPortal
import Testing

@Suite("Market data fields")
struct MarketDataFieldTests {
    /// IBKR's table, not the numbers several third-party references give.
    @Test func numbersAreIBKRs() {
        let expected: [(MarketDataField, Int)] = [
            (.last, 31), (.bid, 84), (.askSize, 85), (.ask, 86), (.volume, 87), (.bidSize, 88), (.high, 70), (.low, 71),
            (.change, 82), (.changePercent, 83), (.lastSize, 7059), (.volumeLong, 7762), (.open, 7295), (.todayClose, 7296),
            (.priorClose, 7741), (.delta, 7308), (.gamma, 7309), (.theta, 7310), (.vega, 7311), (.availability, 6509),
            (.impliedVolatility, 7633),
        ]
        for (field, number) in expected { #expect(field.rawValue == number, "\(field)") }
    }

    @Test func quoteFieldsFitOneRequestAndHaveNoRepeats() {
        #expect(MarketDataField.quoteFields.count <= MarketDataField.maximumPerRequest)
        #expect(Set(MarketDataField.quoteFields).count == MarketDataField.quoteFields.count)
        #expect(MarketDataField.quoteFields.contains(.availability) && MarketDataField.quoteFields.contains(.volumeLong))
    }

    @Test func snapshotPath() {
        #expect(GatewayPath.snapshot(conids: [265598, 8314], fields: [.last, .bid, .ask])
            == "/iserver/marketdata/snapshot?conids=265598,8314&fields=31,84,86")
        #expect(GatewayPath.snapshot(conids: [1], fields: Array(repeating: .last, count: 51)) == nil)
        #expect(GatewayPath.snapshot(conids: [], fields: [.last]) == nil)
        #expect(GatewayPath.secdefSearch(symbol: "BRK B") == "/iserver/secdef/search?symbol=BRK%20B")
        #expect(GatewayPath.positions(account: "DU1234567", page: 0) == "/portfolio/DU1234567/positions/0")
    }
}
