import TastyTrade
import TickhubCore
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("TastyTrade positions")
struct TastyPositionTests {
    static let answer = #"""
        {"data":{"items":[
          {"account-number":"5WT00001","symbol":"AAPL","instrument-type":"Equity","underlying-symbol":"AAPL","quantity":"100",
           "quantity-direction":"Long","close-price":"282.48","average-open-price":"288.7","multiplier":1,"cost-effect":"Credit",
           "is-suppressed":false,"is-frozen":false,"realized-day-gain":"12.5","realized-day-gain-effect":"Debit",
           "created-at":"2026-11-02T14:31:00.000+00:00","updated-at":"2026-12-04T15:00:00.000+00:00","mark":"284.1","mark-price":"284.1"},
          {"account-number":"5WT00001","symbol":"TSLA","instrument-type":"Equity","underlying-symbol":"TSLA","quantity":"30",
           "quantity-direction":"Short","close-price":"412.0","average-open-price":"430.25","multiplier":1,"cost-effect":"Debit"},
          {"account-number":"5WT00001","symbol":"SPY   230731C00393000","instrument-type":"Equity Option","underlying-symbol":"SPY",
           "quantity":"2","quantity-direction":"Long","close-price":"7.45","average-open-price":"6.1","multiplier":100,
           "cost-effect":"Credit","expires-at":"2023-07-31T20:15:00.000+00:00","streamer-symbol":".SPY230731C393"},
          {"account-number":"5WT00001","symbol":"BTC/USD","instrument-type":"Cryptocurrency","underlying-symbol":"BTC/USD",
           "quantity":"0.25","quantity-direction":"Long","close-price":"58356.71","average-open-price":"51000.0","multiplier":1},
          {"account-number":"5WT00001","symbol":"/ESZ6","instrument-type":"Future","underlying-symbol":"/ES","quantity":"1",
           "quantity-direction":"Long","close-price":"6050.25","average-open-price":"6001.0","multiplier":50,"expires-at":"2026-12-18T14:30:00.000+00:00"},
          {"account-number":"5WT00001","symbol":"XYZ","instrument-type":"Equity","quantity":"ten","quantity-direction":"Long","multiplier":1},
          {"account-number":"5WT00001","symbol":"QQQ   240119P00460000","instrument-type":"Equity Option","quantity":"1","quantity-direction":"Long"}
        ]}}
        """#

    @Test func dasherizedKeysAndStringDecimals() throws {
        let list = try TastyPosition.list(json: bytes(Self.answer))
        #expect(list.positions.map(\.symbol) == ["AAPL", "TSLA", "SPY   230731C00393000", "BTC/USD", "/ESZ6"])
        let aapl = list.positions[0]
        #expect(aapl.accountNumber == "5WT00001" && aapl.instrumentType == .equity && aapl.underlyingSymbol == "AAPL")
        #expect(aapl.quantity == 100 && aapl.averageOpenPrice == 288.7 && aapl.closePrice == 282.48 && aapl.mark == 284.1)
        #expect(aapl.multiplier == 1 && aapl.costEffect == "Credit" && aapl.updatedAt == "2026-12-04T15:00:00.000+00:00")
        #expect(aapl.realizedDayGain == -12.5, "a Debit effect makes its value negative")
        #expect(list.positions[2].multiplier == 100 && list.positions[2].expiresAt == "2023-07-31T20:15:00.000+00:00")
        #expect(list.positions[2].streamerSymbol == ".SPY230731C393" && aapl.streamerSymbol == nil)
        #expect(list.positions[3].quantity == 0.25 && list.positions[3].instrumentType == .cryptocurrency)
        #expect(list.positions[4].instrumentType == .future && list.positions[4].multiplier == 50)
    }

    @Test func aShortIsNegativeWhateverItsCostEffect() throws {
        let tsla = try TastyPosition.list(json: bytes(Self.answer)).positions[1]
        #expect(tsla.quantity == -30 && tsla.quantityDirection == "Short" && tsla.costEffect == "Debit")
        #expect(tsla.averageOpenPrice == 430.25, "the open price stays a price: Debit is the cost's sign, not the price's")
    }

    @Test func unreadableItemsAreListedWithWhy() throws {
        let list = try TastyPosition.list(json: bytes(Self.answer))
        #expect(list.skipped.count == 2)
        #expect(list.skipped[0].contains("data.items[5]") && list.skipped[0].contains("quantity"))
        #expect(list.skipped[1].contains("data.items[6]") && list.skipped[1].contains("multiplier"),
                "an option without its multiplier cannot be sized")
    }

    @Test func theStreamersCurrentPositionIsTheSameObject() throws {
        let data = try JSONValue.decode(.init(#"{"account-number":"5WT00002","symbol":"MSFT","instrument-type":"Equity","quantity":"5","quantity-direction":"Long","average-open-price":"410","multiplier":1}"#.utf8))
        let position = try TastyPosition(object: data)
        #expect(position.accountNumber == "5WT00002" && position.quantity == 5 && position.averageOpenPrice == 410)
    }

    @Test func directionsThatDisagreeAreRefused() {
        for object in [
            #"{"account-number":"A","symbol":"X","quantity":"3","quantity-direction":"Zero","multiplier":1}"#,
            #"{"account-number":"A","symbol":"X","quantity":"3","quantity-direction":"Sideways","multiplier":1}"#,
            #"{"account-number":"A","symbol":"X","instrument-type":"Equity","quantity":"3","multiplier":0}"#,
            #"{"account-number":"A","symbol":"X","instrument-type":"Equity","quantity":"NaN","multiplier":1}"#,
            #"{"account-number":"A","symbol":"X","instrument-type":"Equity","quantity":"0x10","multiplier":1}"#,
            #"{"symbol":"X","quantity":"3","multiplier":1}"#,
        ] {
            #expect(throws: TastyTradeFormatError.self, "\(object)") { try TastyPosition(object: JSONValue.decode(.init(object.utf8))) }
        }
    }

    @Test func theSimulatorsAnswerReadsBackAsWritten() throws {
        let positions = try TastyPosition.list(json: bytes(Self.answer)).positions
        let again = try TastyPosition.list(json: TastyPosition.listJSON(positions))
        #expect(again.skipped.isEmpty)
        #expect(again.positions == positions)
    }
}
