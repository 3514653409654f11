import Foundation
import Testing
import TickhubCore

@testable import Hub

/// `QuoteDecoding` reads back exactly what `QuoteEncoding` writes: an edge hub keeps its ingest's bytes for its
/// clients and the decoded entry for its book, snapshots and HTTP answers, so the two must agree byte for byte.
@Suite("QuoteDecoding")
struct QuoteDecodingTests {
    /// A quote of any kind the hub serves, with any field absent or present and prices at any precision.
    static func randomEntry(_ random: inout SeededGenerator) -> QuoteBook.Entry {
        let symbols = ["AAPL", "BRK B", "EUR.USD", "USD.JPY", "BTC", "ES", "SPY 270115C00600000", "QQQ   261218P00410500", "A-B"]
        let symbol = symbols[Int(random.next() % UInt64(symbols.count))]
        let sources = QuoteSource.allCases
        var quote = Quote(symbol: symbol, source: sources[Int(random.next() % UInt64(sources.count))],
                          timestamp: Int64(random.next() % 2_000_000_000_000), delayed: random.next() % 2 == 0,
                          stale: random.next() % 3 == 0)
        func maybe(_ value: Double) -> Double? { random.next() % 5 == 0 ? nil : value }
        // Magnitudes from a hundred-thousandth to a hundred thousand, with the binary noise of arithmetic.
        func price() -> Double { (random.unit() * 100_000).rounded() / pow(10, Double(random.next() % 9)) + random.normal() * 1e-9 }
        quote.bid = maybe(price())
        quote.ask = maybe(price())
        quote.last = maybe(price())
        quote.bidSize = maybe((random.unit() * 10_000).rounded())
        quote.askSize = maybe(random.unit() * 3)
        quote.lastSize = maybe(random.next() % 7 == 0 ? 1e17 * random.unit() : (random.unit() * 500).rounded())
        quote.volume = maybe((random.unit() * 1e9).rounded())
        quote.open = maybe(price())
        quote.high = maybe(price())
        quote.low = maybe(price())
        quote.close = maybe(random.next() % 9 == 0 ? 0 : price())
        if random.next() % 4 == 0 { quote.sourceTime = Int64(random.next() % 2_000_000_000_000_000) }
        if symbol.contains(" ") && symbol.count > 6 || random.next() % 10 == 0 {
            quote.greeks = OptionGreeks(impliedVolatility: maybe(random.unit()), delta: maybe(random.unit() * 2 - 1),
                                        gamma: maybe(random.unit() / 10), vega: maybe(random.unit()), theta: maybe(-random.unit()),
                                        underlyingPrice: maybe(price()))
        }
        return QuoteBook.Entry(quote: quote, sequence: random.next() % 1_000_000_000 + 1,
                               receivedAt: Timestamp(microseconds: Int64(random.next() % 2_000_000_000_000_000)))
    }

    @Test func encodingWhatWasDecodedGivesBackTheSameBytes() throws {
        var random = SeededGenerator(seed: 18)
        for _ in 0..<20_000 {
            let entry = Self.randomEntry(&random)
            let snapshot = random.next() % 4 == 0
            let bytes = QuoteEncoding.encode(entry, snapshot: snapshot)
            let decoded = try QuoteDecoding.decode(bytes)
            let again = QuoteEncoding.encode(decoded, snapshot: snapshot)
            #expect(again == bytes, "\(String(decoding: bytes, as: UTF8.self))\n\(String(decoding: again, as: UTF8.self))")
            #expect(decoded.sequence == entry.sequence)
            #expect(decoded.receivedAt == entry.receivedAt)
            #expect(decoded.quote.symbol == entry.quote.symbol && decoded.quote.source == entry.quote.source)
            #expect(decoded.quote.stale == entry.quote.stale && decoded.quote.delayed == entry.quote.delayed)
            #expect(decoded.quote.sourceTime == entry.quote.sourceTime)
            #expect((decoded.quote.greeks == nil) == (entry.quote.greeks == nil))
            if again != bytes { return }
        }
    }

    /// The change is worked out from the prices as written: with them it agrees to the last digit, and the reader
    /// of the bytes works out the same.
    @Test func theChangeAgreesWithThePricesAsWritten() throws {
        var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1)
        quote.last = 100.12346  // written 100.1235
        quote.close = 99.99994  // written 99.9999
        let bytes = QuoteEncoding.encode(QuoteBook.Entry(quote: quote, sequence: 1, receivedAt: Timestamp(microseconds: 1)))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""last":100.1235,"#) && text.contains(#""close":99.9999,"#))
        #expect(text.contains(#""change":0.1236,"#), "the change of the unrounded prices would be 0.1235")
        #expect(QuoteEncoding.encode(try QuoteDecoding.decode(bytes)) == bytes)
    }

    @Test func fieldsItDoesNotKnowAreSkipped() throws {
        let text = #"""
            {"type":"quote","symbol":"AAPL","future":{"a":[1,2,{"b":null}],"c":"d\"e"},"bid":1.5,"ask":null,"last":null,\#
            "bidSize":null,"askSize":null,"lastSize":null,"volume":null,"open":null,"high":null,"low":null,"close":null,\#
            "change":null,"changePercent":null,"timestamp":5,"source":"yahoo","delayed":true,"stale":false,\#
            "marketOpen":false,"seq":7,"t":9,"more":-1.5e-3}
            """#
        let entry = try QuoteDecoding.decode(Array(text.utf8))
        #expect(entry.quote.bid == 1.5 && entry.quote.source == .yahoo && entry.quote.delayed)
        #expect(entry.sequence == 7 && entry.receivedAt.microseconds == 9 && entry.quote.timestamp == 5)
    }

    @Test func escapesInASymbolAreUndone() throws {
        let text = #"{"type":"quote","symbol":"A\u0042\"\\\/\n\uD83D\uDE00","timestamp":1,"source":"push","delayed":false,"stale":false,"seq":1,"t":2}"#
        let entry = try QuoteDecoding.decode(Array(text.utf8))
        #expect(entry.quote.symbol == "AB\"\\/\n😀")
    }

    /// Every prefix of a good quote, and bytes that are not what the encoder writes, are refused with a reason;
    /// none crashes.
    @Test func malformedBytesAreRefusedNeverCrash() throws {
        var random = SeededGenerator(seed: 7)
        let bytes = QuoteEncoding.encode(Self.randomEntry(&random))
        for length in 0..<bytes.count {
            #expect(throws: QuoteDecodingError.self) { try QuoteDecoding.decode(Array(bytes[..<length])) }
        }
        let good = String(decoding: bytes, as: UTF8.self)
        let refused: [(String, String)] = [
            (good.replacingOccurrences(of: #""type":"quote""#, with: #""type":"bars""#), "is not quote"),
            (good.replacingOccurrences(of: #""seq":"#, with: #""seq":-"#), "no seq"),
            (good.replacingOccurrences(of: #""seq":"#, with: #""seq":1.5,"x":"#), "whole number"),
            (good.replacingOccurrences(of: #""source":""#, with: #""source":"x"#), "unknown source"),
            (good.replacingOccurrences(of: #""stale":"#, with: #""stale":0,"y":"#), "true or false"),
            (good.replacingOccurrences(of: #""t":"#, with: #""t":01"#), "leading zero"),
            (good.replacingOccurrences(of: #""t":"#, with: #""tt":"#), "no t"),
            (good + " x", "bytes after the quote"),
            (#"{"type":"quote","symbol":"A","bid":1e400}"#, "out of range"),
            (#"{"type":"quote","symbol":"A\u0001","x":"\q"}"#, "unknown escape"),
            (#"{"type":"quote","symbol":"\uD800x"}"#, "lone surrogate"),
            ("{\"type\":\"quote\",\"symbol\":\"\u{1}\"}", "control character"),
            (String(repeating: "{\"a\":[", count: 40), "nested too deep"),
            ("[]", "expected {"),
            ("", "the bytes end"),
        ]
        for (text, reason) in refused {
            do {
                _ = try QuoteDecoding.decode(Array(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.reason.contains(reason), "\(text): \(error.reason)")
            }
        }
        #expect(throws: QuoteDecodingError.self) { try QuoteDecoding.decode([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]) }
    }

    /// Good quotes with bytes flipped, dropped, doubled or inserted: each is refused, or read as a quote whose own
    /// encoding reads back to itself. Nothing traps.
    @Test func mutatedQuotesAreRefusedOrReadAsAQuoteThatHoldsTogether() throws {
        var random = SeededGenerator(seed: 1_618)
        let alphabet = Array(#"{}[]",:.-+eE0123456789tfnul\"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = QuoteEncoding.encode(Self.randomEntry(&random))
            for _ in 0...(random.next() % 4) {
                let at = Int(random.next() % UInt64(bytes.count))
                let byte = random.next() % 2 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: random.next())
                switch random.next() % 4 {
                case 0: bytes[at] = byte
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(byte, at: at)
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 8)], at: at)
                }
                if bytes.isEmpty { break }
            }
            guard let entry = try? QuoteDecoding.decode(bytes) else { continue }
            accepted += 1
            let again = QuoteEncoding.encode(entry)
            #expect(QuoteEncoding.encode(try QuoteDecoding.decode(again)) == again)
        }
        #expect(accepted > 100, "too few mutations read as quotes to check anything: \(accepted)")
    }

    /// Numbers are read as the standard library reads their text, the short ones by their digits and the rest from
    /// the text: the same doubles either way, and every whole number an Int64 holds.
    @Test func numbersReadAsTheirTextWhicheverWayTheyAreRead() throws {
        func read(_ bid: String, seq: String = "1") throws -> QuoteBook.Entry {
            let text = #"{"type":"quote","symbol":"A","bid":\#(bid),"timestamp":1,"source":"push","delayed":false,"stale":false,"seq":\#(seq),"t":2}"#
            return try QuoteDecoding.decode(Array(text.utf8))
        }
        var random = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let integral = String(random.next() % 10_000_000_000)
            let fraction = String(String(random.next()).prefix(Int(random.next() % 12)))
            var text = (random.next() % 3 == 0 ? "-" : "") + integral + (fraction.isEmpty ? "" : "." + fraction)
            if random.next() % 5 == 0 { text += "e\(Int(random.next() % 40) - 20)" }
            let decoded = try read(text).quote.bid
            #expect(decoded?.bitPattern == Double(text)?.bitPattern, "\(text): \(String(describing: decoded))")
        }
        #expect(try read("0.1").quote.bid == 0.1 && (try read("-0").quote.bid)?.sign == .minus)
        #expect(try read("1", seq: "9007199254740993").sequence == 9_007_199_254_740_993)
        #expect(try read("1", seq: "9223372036854775807").sequence == UInt64(Int64.max))
        #expect(throws: QuoteDecodingError.self) { try read("1", seq: "9223372036854775808") }
        #expect(throws: QuoteDecodingError.self) { try read("1", seq: "1e3") }
    }
}
