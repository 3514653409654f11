import HubProtocol
import Testing
import TickhubCore

/// `bars` in `subscribe` and `unsubscribe`: read as sent, then each item checked alone.
@Suite struct StreamRequestBarsTests {
    typealias Item = StreamRequest.BarsItem

    static func parse(_ text: String) -> Result<StreamRequest, StreamRequest.Refusal> { StreamRequest.parse(Array(text.utf8)) }

    @Test func barsAloneOrWithSymbolsAndChannels() {
        #expect(Self.parse(#"{"op":"subscribe","bars":[{"symbol":"AAPL","interval":"1m"}]}"#)
            == .success(.subscribe(symbols: nil, channels: nil, bars: [Item(symbol: "AAPL", interval: "1m")])))
        #expect(Self.parse(#"{"op":"subscribe","symbols":["MSFT"],"channels":["alerts"],"bars":[{"symbol":"BTC","interval":"1d"}]}"#)
            == .success(.subscribe(symbols: ["MSFT"], channels: ["alerts"], bars: [Item(symbol: "BTC", interval: "1d")])))
        #expect(Self.parse(#"{"op":"unsubscribe","bars":[{"symbol":"AAPL","interval":"5m"}]}"#)
            == .success(.unsubscribe(symbols: nil, channels: nil, bars: [Item(symbol: "AAPL", interval: "5m")])))
        #expect(Self.parse(#"{"op":"subscribe","bars":[]}"#) == .success(.subscribe(symbols: nil, channels: nil, bars: [])))
    }

    /// Items are kept as sent, bad ones in their places: the hub refuses each alone.
    @Test func itemsAreReadAsSentFieldsThatAreNotStringsAsNil() {
        #expect(Self.parse(#"{"op":"subscribe","bars":[7,{"symbol":1,"interval":"1m"},{"symbol":"aapl"},{},{"symbol":"X","interval":"1m","extra":true}]}"#)
            == .success(.subscribe(symbols: nil, channels: nil, bars: [
                Item(symbol: nil, interval: nil), Item(symbol: nil, interval: "1m"), Item(symbol: "aapl", interval: nil),
                Item(symbol: nil, interval: nil), Item(symbol: "X", interval: "1m"),
            ])))
    }

    @Test(arguments: [#"{"op":"subscribe","bars":{"symbol":"AAPL"}}"#, #"{"op":"unsubscribe","bars":"AAPL"}"#])
    func barsThatAreNotAnArrayAreABadRequest(message: String) {
        guard case let .failure(refusal) = Self.parse(message) else {
            Issue.record("\(message) accepted")
            return
        }
        #expect(refusal.code == "bad_request")
        #expect(refusal.message.contains("bars"))
    }

    @Test func aSubscribeWithNothingToSubscribeNamesBars() {
        guard case let .failure(refusal) = Self.parse(#"{"op":"subscribe"}"#) else {
            Issue.record("accepted")
            return
        }
        #expect(refusal.message.contains(#""bars""#))
    }

    // MARK: Each item checked

    @Test func aGoodItemNamesTheNormalizedSymbolAndItsInterval() throws {
        let series = try Item(symbol: " brk  b ", interval: "1h").series().get()
        #expect(series.instrument.symbol == "BRK B")
        #expect(series.interval == .oneHour)
        #expect(try Item(symbol: "eur.usd", interval: "15m").series().get().instrument.securityType == .forex)
    }

    @Test(arguments: ["2m", "1M", "", " 1m", "1 m", "60"])
    func anUnknownIntervalIsRefusedWithTheOnesThereAre(interval: String) {
        guard case let .failure(refusal) = Item(symbol: "aapl", interval: interval).series() else {
            Issue.record("\(interval) taken")
            return
        }
        #expect(refusal.code == "bad_interval")
        #expect(refusal.message.contains(BarInterval.names))
        #expect(refusal.symbol == "AAPL")
    }

    @Test func aMissingIntervalIsRefused() {
        guard case let .failure(refusal) = Item(symbol: "AAPL", interval: nil).series() else {
            Issue.record("taken")
            return
        }
        #expect(refusal.code == "bad_interval")
        #expect(refusal.message.contains("1m, 5m, 15m, 30m, 1h, 1d"))
    }

    @Test func aBadSymbolIsRefusedAsForQuotesQuotedNeverRaw() {
        guard case let .failure(refusal) = Item(symbol: "a\u{1}b c d", interval: "1m").series() else {
            Issue.record("taken")
            return
        }
        #expect(refusal.code == "invalid_symbol")
        #expect(refusal.symbol == "a\u{FFFD}b c d")
        #expect(!refusal.message.unicodeScalars.contains { $0.value < 0x20 })
        guard case let .failure(missing) = Item(symbol: nil, interval: "1m").series() else {
            Issue.record("taken")
            return
        }
        #expect(missing.code == "invalid_symbol")
        #expect(missing.symbol == nil)
    }
}
