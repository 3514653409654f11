import Foundation
import Testing
import TickhubCore

@testable import HubProtocol

@Suite("PublishDecoder")
struct PublishDecoderTests {
    let now: Int64 = 1_795_320_831_924_126

    func decode(_ text: String) throws(PublishDecoder.Malformed) -> PublishDecoder.Decoded {
        var decoder = PublishDecoder()
        return try decoder.decode(Array(text.utf8), now: now)
    }

    @Test func oneObjectWithEveryField() throws {
        let decoded = try decode(#"""
            {"symbol":"aapl","bid":230.09,"ask":230.11,"last":230.1,"bidSize":100,"askSize":200,"lastSize":50,
             "volume":1000000,"open":228.02,"high":230.11,"low":228.01,"close":228.53,"ts":1795320831924000,"delayed":true}
            """#)
        #expect(decoded.rejections.isEmpty)
        let patch = try #require(decoded.patches.first)
        #expect(patch.symbol == "AAPL")
        #expect(patch.bid == .some(230.09) && patch.ask == .some(230.11) && patch.last == .some(230.1))
        #expect(patch.bidSize == .some(100) && patch.askSize == .some(200) && patch.lastSize == .some(50))
        #expect(patch.volume == .some(1_000_000) && patch.open == .some(228.02) && patch.close == .some(228.53))
        #expect(patch.sourceTime == 1_795_320_831_924_000 && patch.delayed == true && patch.stale == nil)
    }

    @Test func decimalsMatchFoundationsParsing() throws {
        // The fast path must give exactly the Double a full parser gives.
        let texts = ["0.1", "230.09", "1.0841", "99999.99", "0.000001", "123456789.123456", "-42.5", "1e2", "2.5E-3",
                     "999999999.99999", "0.30000000000000004", "1e9"]
        for text in texts {
            let patch = try #require(try decode(#"{"symbol":"X","bid":\#(text)}"#).patches.first)
            #expect(patch.bid == .some(Double(text)!), "\(text)")
        }
    }

    @Test func absentNullAndValueAreDistinct() throws {
        let patch = try #require(try decode(#"{"symbol":"X","bid":null,"ask":1}"#).patches.first)
        #expect(patch.bid == .some(nil))
        #expect(patch.ask == .some(1))
        #expect(patch.last == nil)
    }

    @Test func arraysKeepGoodItemsAndNameTheBadOnes() throws {
        let decoded = try decode(#"[{"symbol":"A","bid":1},{"symbol":"B","bid":"1"},7,{"symbol":"C","ask":2}, {"x":[1,{"y":2}]}]"#)
        #expect(decoded.patches.map(\.symbol) == ["A", "C"])
        #expect(decoded.rejections.map(\.index) == [1, 2, 4])
        #expect(decoded.rejections[0].message == "bid must be a number or null")
        #expect(decoded.rejections[1].message == "each item must be a quote object")
        #expect(decoded.rejections[2].message == "unknown field \"x\"")
    }

    @Test func fieldRules() throws {
        let cases: [(String, String)] = [
            (#"{"symbol":"A","bidSize":-1}"#, "bidSize must not be negative"),
            (#"{"symbol":"A","ts":1.5}"#, "ts must be an integer: microseconds since the Unix epoch"),
            (#"{"symbol":"A","bid":1,"ts":12345}"#, "ts must be microseconds (or milliseconds) since the Unix epoch"),
            (#"{"symbol":"A","bid":1,"ts":\#(now + 61_000_000)}"#, "ts is more than 60 s ahead of this hub's clock"),
            (#"{"symbol":"A","delayed":"yes","bid":1}"#, "delayed must be true or false"),
            (#"{"symbol":7,"bid":1}"#, "symbol must be a string"),
            (#"{"symbol":"","bid":1}"#, "symbol is empty"),
            (#"{"bid":1}"#, "a quote needs a \"symbol\""),
            (#"{"symbol":"A","ts":1795320831924126}"#, "a quote needs at least one of bid, ask, last, sizes, volume, open, high, low, close"),
        ]
        for (text, message) in cases {
            let decoded = try decode(text)
            #expect(decoded.patches.isEmpty, "\(text)")
            #expect(decoded.rejections.first?.message == message, "\(text)")
        }
    }

    @Test func millisecondStampsBecomeMicroseconds() throws {
        let patch = try #require(try decode(#"{"symbol":"A","bid":1,"ts":1795320831924}"#).patches.first)
        #expect(patch.sourceTime == 1_795_320_831_924_000)
    }

    /// Scaled as milliseconds with wrapping, this negative stamp came out as 1_700_000_000_000_616 µs (2023):
    /// fuzz-publish, Tests/FuzzCorpus/fuzz-publish/regression-negative-ts-wraps.
    @Test func aNegativeStampIsRefusedNotWrappedIntoRange() throws {
        for ts in ["-18445044073709551", "-1", "-1795320831924"] {
            let decoded = try decode(#"{"symbol":"A","bid":1,"ts":\#(ts)}"#)
            #expect(decoded.patches.isEmpty, "\(ts)")
            #expect(decoded.rejections.first?.message == "ts must be microseconds (or milliseconds) since the Unix epoch", "\(ts)")
        }
    }

    @Test func fieldsOfTickhubsOwnQuotesAreIgnored() throws {
        let decoded = try decode(#"{"type":"quote","symbol":"A","bid":1,"seq":3,"t":1,"source":"ibkr","change":null,"snapshot":true}"#)
        #expect(decoded.rejections.isEmpty && decoded.patches.count == 1)
    }

    @Test func escapesInStrings() throws {
        let patch = try #require(try decode(#"{"sym\u0062ol":"BRK\u0020B","bid":1}"#).patches.first)
        #expect(patch.symbol == "BRK B")
    }

    @Test func malformedMessagesAreRefusedWhole() {
        let cases = ["", "   ", "nope", "{", "[", #"{"symbol":"A","bid":1"#, #"{"symbol":"A" "bid":1}"#, #"{"symbol":"A","bid":01}"#,
                     #"{"symbol":"A","bid":1.}"#, #"{"symbol":"A","bid":-}"#, #"{"symbol":"A","bid":1e}"#, #"{"symbol":"A","bid":1e999}"#,
                     #"{"symbol":"A\u00"}"#, "{\"symbol\":\"A\nB\",\"bid\":1}", #"{"symbol":"A","bid":1} x"#, "[" + String(repeating: "[", count: 40) + "]",
                     #"[{"symbol":"A","bid":1},]"#, #"{"symbol":"A","bid":tru}"#, "\"text\"", "42"]
        for text in cases {
            #expect(throws: PublishDecoder.Malformed.self, "\(text)") { try decode(text) }
        }
    }

    /// Seeded, so a failure names inputs that replay; fuzz-publish goes much further.
    @Test func randomMessagesDecodeConsistently() throws {
        var random = SeededGenerator(seed: 0x7A11_5EED)
        let alphabet = Array(#"{}[],:"\ 0123456789.-+eEtruefalsn symbolbidask"#.utf8)
        var decoder = PublishDecoder()
        var accepted = 0
        for round in 0..<5_000 {
            // Half the inputs start as a valid item, so some survive to be checked.
            var bytes = round % 2 == 0 ? Array(#"[{"symbol":"AAPL","bid":1,"ask":2}]"#.utf8) : []
            for _ in 0..<Int(random.next() % 24) {
                let at = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
                bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
            }
            let first = Result { () throws(PublishDecoder.Malformed) in try decoder.decode(bytes, now: now) }
            // A fresh decoder (no symbol cache) reads the same bytes the same way.
            var fresh = PublishDecoder()
            let second = Result { () throws(PublishDecoder.Malformed) in try fresh.decode(bytes, now: now) }
            switch (first, second) {
            case let (.success(a), .success(b)):
                #expect(a.patches == b.patches && a.rejections == b.rejections, "round \(round)")
                #expect(a.patches.count == a.patchIndices.count)
                let places = Set(a.patchIndices).union(a.rejections.map(\.index))
                #expect(places.count == a.patches.count + a.rejections.count, "an item both accepted and rejected, round \(round)")
                for patch in a.patches {
                    #expect(try SymbolGrammar.parse(patch.symbol).symbol == patch.symbol, "round \(round)")
                    accepted += 1
                }
            case let (.failure(a), .failure(b)):
                #expect(a == b && !a.message.isEmpty)
            default:
                Issue.record("round \(round): \(first) then \(second)")
            }
        }
        #expect(accepted > 0, "no input survived: the test checks nothing")
    }

    @Test func tooManyItemsIsRefused() {
        let text = "[" + Array(repeating: #"{"symbol":"A","bid":1}"#, count: PublishDecoder.maximumItems + 1).joined(separator: ",") + "]"
        #expect(throws: PublishDecoder.Malformed.self) { try decode(text) }
    }

    @Test(arguments: [
        (#"{"symbol":"AAPL","bid":230.2,"ask":230.1}"#, "crossed book: bid 230.2 is above ask 230.1"),
        (#"{"symbol":"AAPL","bid":1e308}"#, "bid 1e+308 is beyond ±1000000000"),
        (#"{"symbol":"AAPL","last":-12345678901234567890}"#, "last -1.2345678901234567e+19 is beyond ±1000000000"),
        (#"{"symbol":"AAPL","volume":1e20}"#, "volume 1e+20 is beyond 1000000000000000"),
        (#"{"symbol":"AAPL","high":10,"low":11}"#, "low 11.0 is above high 10.0"),
        (#"{"symbol":"SPY 250230C00600000","bid":1}"#, #""SPY 250230C00600000" expires on a day that does not exist"#),
        (#"{"symbol":"EUR.USD.JPY","bid":1}"#, #""EUR.USD.JPY" is not a currency pair such as EUR.USD"#),
    ])
    func valuesNoMarketShowsAreRefusedItemByItem(item: String, message: String) throws {
        let decoded = try decode("[\(item), {\"symbol\":\"MSFT\",\"bid\":410.1,\"ask\":410.2}]")
        #expect(decoded.rejections.map(\.message) == [message])
        #expect(decoded.rejections.first?.index == 0)
        #expect(decoded.patches.map(\.symbol) == ["MSFT"], "the good item still goes through")
    }

    @Test func aLockedBookIsAMarket() throws {
        #expect(try decode(#"{"symbol":"AAPL","bid":230.1,"ask":230.1}"#).rejections.isEmpty)
    }
}
