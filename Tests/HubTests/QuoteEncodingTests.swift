import HubProtocol
import Foundation
import Testing
import TickhubCore

@testable import Hub

@Suite("QuoteEncoding")
struct QuoteEncodingTests {
    static let fields = [
        "type", "symbol", "bid", "ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high", "low", "close",
        "change", "changePercent", "timestamp", "source", "delayed", "stale", "seq", "t",
    ]

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
            "changePercent":0.687,"timestamp":1795320831924,"source":"ibkr","delayed":false,"stale":false,"seq":3,\
            "t":1795320831924126}
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
        #expect((o["changePercent"] as? NSNumber)?.doubleValue == -0.6675)
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
