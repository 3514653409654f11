import ScaleOut
import Testing
import TickhubCore

/// The chart and alert messages as an edge reads them, and bar series in an interest renewal.
@Suite struct BarMessagesTests {
    let minute = BarKey(symbol: "EUR.USD", interval: .oneMinute)

    @Test("a renewal carries its bar series through JSON; one from an edge that names none has none")
    func renewalWithBars() throws {
        let renewal = InterestRenewal(edge: "e1", symbols: ["EUR.USD"], bars: [minute, BarKey(symbol: "AAPL", interval: .oneDay)],
                                      leaseMilliseconds: 3_000)
        #expect(try InterestRenewal(json: renewal.json) == renewal)
        let older = try InterestRenewal(json: Array(#"{"edge":"e1","symbols":["AAPL"],"leaseMilliseconds":3000}"#.utf8))
        #expect(older.bars.isEmpty)
        #expect(throws: RelayMessageError.self) {
            try InterestRenewal(json: Array(#"{"edge":"e1","symbols":[],"bars":[{"symbol":"AAPL","interval":"2m"}],"leaseMilliseconds":3000}"#.utf8))
        }
    }

    @Test("the hub's bars, bar and alert messages read back into the values it publishes")
    func hubMessagesReadBack() throws {
        let series = try BarSeriesMessage(json: Array(#"""
            {"type":"bars","symbol":"EUR.USD","interval":"1m","source":null,"bars":[{"time":1796000040000,"open":1.08412,"high":1.0843,"low":1.084,"close":1.08425,"volume":null}],"lastComplete":false}
            """#.utf8))
        #expect(series.key == minute && series.source == nil && !series.lastComplete)
        #expect(series.bars == [Bar(time: 1_796_000_040_000, open: 1.08412, high: 1.0843, low: 1.084, close: 1.08425)])
        let update = try BarUpdateMessage(json: Array(#"""
            {"type":"bar","symbol":"EUR.USD","interval":"1m","time":1796000100000,"open":1.08425,"high":1.0844,"low":1.0842,"close":1.0843,"volume":12.5,"source":"ibkr"}
            """#.utf8))
        #expect(update.key == minute && update.source == .ibkr && update.bar.volume == 12.5)
        let alert = try AlertMessage(json: Array(#"""
            {"type":"alert","id":"r1","symbol":"AAPL","condition":"changePercent","level":2.5,"price":195.12,"time":1796000100000}
            """#.utf8))
        #expect(alert.fired == AlertFired(id: "r1", symbol: "AAPL", condition: .changePercent, level: 2.5, price: 195.12, time: 1_796_000_100_000))
        let released = BarsReleasedMessage([minute])
        #expect(try BarsReleasedMessage(json: released.json) == released)
    }

    @Test("a bar message that is not one is refused with the field at fault")
    func refusals() {
        #expect(throws: RelayMessageError.self) {
            try BarUpdateMessage(json: Array(#"{"type":"bar","symbol":"AAPL","interval":"1m","time":1,"open":1,"high":1,"low":1,"close":1}"#.utf8))
        }
        #expect(throws: RelayMessageError.self) {
            try AlertMessage(json: Array(#"{"type":"alert","id":"r1","symbol":"AAPL","condition":"sideways","level":1,"price":1,"time":1}"#.utf8))
        }
        #expect(throws: RelayMessageError.self) { try BarSeriesMessage(json: Array("[]".utf8)) }
    }
}
