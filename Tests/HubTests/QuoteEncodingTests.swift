import HubProtocol
import Foundation
import Testing
import TickhubCore

@testable import Hub

@Suite("QuoteEncoding")
struct QuoteEncodingTests {
    static let fields = [
        "type", "symbol", "bid", "ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high", "low", "close",
        "change", "changePercent", "timestamp", "source", "delayed", "stale", "marketOpen", "seq", "t",
    ]
    /// Monday 7 December 2026 in New York: 15:59:30, inside the regular session, and 16:00:30, after its close.
    static let beforeClose = Timestamp(microseconds: 1_796_677_170_000_000)
    static let afterClose = Timestamp(microseconds: 1_796_677_230_000_000)

    func fullQuote() -> Quote {
        var q = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1_795_320_831_924)
        q.bid = 230.09
        q.ask = 230.11
        q.last = 230.1
        q.bidSize = 100
        q.askSize = 200
        q.lastSize = 100
        q.volume = 1_000_000
        q.open = 228.02
        q.high = 230.11
        q.low = 228.01
        q.close = 228.53
        q.lastTradeTime = 1_795_320_831_000
        return q
    }

    func entry(_ quote: Quote, receivedAt: Timestamp = Timestamp(microseconds: 1_795_320_831_924_126), updates: Int = 1) -> QuoteBook.Entry {
        var book = QuoteBook()
        var entry = book.update(quote, receivedAt: receivedAt)
        for _ in 1..<updates { entry = book.update(quote, receivedAt: receivedAt) }
        return entry
    }

    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func everyFieldInWireOrder() {
        let json = String(decoding: QuoteEncoding.encode(entry(fullQuote(), updates: 3)), as: UTF8.self)
        #expect(json == """
            {"type":"quote","symbol":"AAPL","bid":230.09,"ask":230.11,"last":230.1,"bidSize":100,"askSize":200,\
            "lastSize":100,"volume":1000000,"open":228.02,"high":230.11,"low":228.01,"close":228.53,"change":1.57,\
            "changePercent":0.69,"timestamp":1795320831924,"source":"ibkr","delayed":false,"stale":false,\
            "marketOpen":false,"seq":3,"t":1795320831924126}
            """)
    }

    @Test func absentValuesAreNullNotMissing() throws {
        var q = Quote(symbol: "EUR.USD", source: .ibkr, timestamp: 5)
        q.bid = 1.0834
        let o = try object(QuoteEncoding.encode(entry(q)))
        #expect(Array(o.keys).sorted() == Self.fields.sorted())
        for name in ["ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high", "low", "close", "change",
                     "changePercent"] {
            #expect(o[name] is NSNull, "\(name) should be null")
        }
        #expect((o["bid"] as? NSNumber)?.doubleValue == 1.0834)
    }

    @Test func fxChangeUsesTheMidpointAndIsRounded() throws {
        var q = Quote(symbol: "EUR.USD", source: .ibkr, timestamp: 5)
        q.bid = 1.08265
        q.ask = 1.0827
        q.close = 1.08995
        let o = try object(QuoteEncoding.encode(entry(q)))
        #expect(o["last"] is NSNull)
        #expect((o["change"] as? NSNumber)?.doubleValue == -0.007275)
        #expect((o["changePercent"] as? NSNumber)?.doubleValue == -0.67)
    }

    /// Binary arithmetic leaves noise under the last decimal; the wire shows the decimal the price stands for.
    @Test func pricesPrintTheDecimalTheyStandForNotTheirBinaryNoise() {
        var q = Quote(symbol: "AAPL", source: .ibkr, timestamp: 5)
        q.bid = 230.10000000000002
        q.ask = 0.1 + 0.2
        q.last = 230.105
        q.close = 230
        let json = String(decoding: QuoteEncoding.encode(entry(q)), as: UTF8.self)
        #expect(json.contains(#""bid":230.1,"ask":0.3,"last":230.105,"#), "\(json)")
        #expect(json.contains(#""change":0.105,"changePercent":0.05,"#), "\(json)")
        var fx = Quote(symbol: "EUR.USD", source: .ibkr, timestamp: 5)
        fx.bid = 1.0836500000000001
        #expect(String(decoding: QuoteEncoding.encode(entry(fx)), as: UTF8.self).contains(#""bid":1.08365,"#))
    }

    @Test func marketOpenFollowsTheInstrumentsRegularSession() throws {
        let monday = try object(QuoteEncoding.encode(entry(fullQuote(), receivedAt: Self.beforeClose)))
        #expect(monday["marketOpen"] as? Bool == true)
        let evening = try object(QuoteEncoding.encode(entry(fullQuote(), receivedAt: Self.afterClose)))
        #expect(evening["marketOpen"] as? Bool == false)
        // FX trades on into the evening, crypto always; an option keeps its underlying's hours.
        let fx = try object(QuoteEncoding.encode(entry(Quote(symbol: "EUR.USD", source: .ibkr), receivedAt: Self.afterClose)))
        #expect(fx["marketOpen"] as? Bool == true)
        let saturday = Timestamp(microseconds: 1_796_490_000_000_000)
        #expect(try object(QuoteEncoding.encode(entry(Quote(symbol: "BTC", source: .ibkr), receivedAt: saturday)))["marketOpen"] as? Bool == true)
        #expect(try object(QuoteEncoding.encode(entry(Quote(symbol: "EUR.USD", source: .ibkr), receivedAt: saturday)))["marketOpen"] as? Bool == false)
        let option = entry(Quote(symbol: "SPY 261218C00600000", source: .ibkr), receivedAt: Self.beforeClose)
        #expect(try object(QuoteEncoding.encode(option))["marketOpen"] as? Bool == true)
        // Judged at another moment than the quote's arrival when asked to.
        #expect(try object(QuoteEncoding.encode(option, at: Self.afterClose))["marketOpen"] as? Bool == false)
    }

    @Test func greeksOnlyWhenTheQuoteHasThem() throws {
        var q = Quote(symbol: "SPY 261218C00600000", source: .ibkr, timestamp: 5)
        q.bid = 12.3
        #expect(try object(QuoteEncoding.encode(entry(q)))["delta"] == nil)
        q.greeks = OptionGreeks(impliedVolatility: 0.18234567891, delta: 0.5123456789, gamma: 0.01, vega: 0.35, theta: -0.0412,
                                underlyingPrice: 601.2300000000001)
        let o = try object(QuoteEncoding.encode(entry(q)))
        #expect((o["impliedVolatility"] as? NSNumber)?.doubleValue == 0.182346)
        #expect((o["delta"] as? NSNumber)?.doubleValue == 0.512346)
        #expect((o["gamma"] as? NSNumber)?.doubleValue == 0.01)
        #expect((o["vega"] as? NSNumber)?.doubleValue == 0.35)
        #expect((o["theta"] as? NSNumber)?.doubleValue == -0.0412)
        #expect((o["underlyingPrice"] as? NSNumber)?.doubleValue == 601.23)
        q.greeks = OptionGreeks(delta: -0.4)
        let partial = try object(QuoteEncoding.encode(entry(q)))
        #expect(partial["impliedVolatility"] is NSNull && (partial["delta"] as? NSNumber)?.doubleValue == -0.4)
    }

    /// The HTTP answer is kept per update; the session can close between two updates, and the kept form must not
    /// say the market is open after it closed.
    @Test func aKeptAnswerDoesNotClaimAnOpenMarketAfterTheClose() throws {
        var market = MarketView()
        let update = EncodedQuote(fullQuote(), sequence: 1, receivedAt: Self.beforeClose)
        market.update(update)
        let during = market.quoteResponse(update.entry, at: Self.beforeClose)
        #expect(try object(during.body)["marketOpen"] as? Bool == true)
        #expect(during.body == update.bytes.bytes, "the published form was not reused inside its session")
        let after = market.quoteResponse(update.entry, at: Self.afterClose)
        #expect(try object(after.body)["marketOpen"] as? Bool == false)
        #expect(try object(after.body)["seq"] as? Int == 1)
        #expect(market.encoded(update.entry, at: Self.afterClose).bytes == after.body)
        #expect(try object(market.quoteResponse(update.entry, at: Self.beforeClose).body)["marketOpen"] as? Bool == true)
    }

    @Test func flagsSourceAndSequence() throws {
        var q = fullQuote()
        q.stale = true
        q.delayed = true
        q.source = .alphaVantage
        let o = try object(QuoteEncoding.encode(entry(q, receivedAt: Timestamp(microseconds: 42), updates: 7)))
        #expect(o["stale"] as? Bool == true && o["delayed"] as? Bool == true)
        #expect(o["source"] as? String == "alphavantage")
        #expect(o["seq"] as? Int == 7 && o["t"] as? Int == 42)
        #expect(o["timestamp"] as? Int == 1_795_320_831_924)
    }

    @Test func snapshotFlagOnlyWhenAsked() throws {
        let e = entry(fullQuote())
        let snapshot = try object(QuoteEncoding.encode(e, snapshot: true))
        #expect(snapshot["snapshot"] as? Bool == true)
        let update = try object(QuoteEncoding.encode(e))
        #expect(update["snapshot"] == nil)
        // The snapshot is the update plus the flag, last.
        let a = String(decoding: QuoteEncoding.encode(e, snapshot: true), as: UTF8.self)
        let b = String(decoding: QuoteEncoding.encode(e), as: UTF8.self)
        #expect(a == b.dropLast() + #","snapshot":true}"#)
    }

    @Test func writeIntoAnArrayMatchesEncode() throws {
        let e = entry(fullQuote())
        var w = JSONWriter()
        w.beginArray()
        QuoteEncoding.write(e, into: &w)
        QuoteEncoding.write(e, snapshot: true, into: &w)
        w.endArray()
        let expected = "[" + String(decoding: QuoteEncoding.encode(e), as: UTF8.self) + ","
            + String(decoding: QuoteEncoding.encode(e, snapshot: true), as: UTF8.self) + "]"
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
    }

    @Test func symbolsAreEscaped() throws {
        let o = try object(QuoteEncoding.encode(entry(Quote(symbol: "BRK \"B\"", source: .push))))
        #expect(o["symbol"] as? String == "BRK \"B\"")
        #expect(o["source"] as? String == "push")
    }
}
