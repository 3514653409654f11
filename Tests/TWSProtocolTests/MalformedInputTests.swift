import NIOCore
import Testing
import TickhubCore
import TWSProtocol

/// Garbage, truncation and sentinels: every failure is a `TWSProtocolError` that says where, never a crash.
@Suite("Malformed input")
struct MalformedInputTests {
    static func server(_ pipes: String, _ serverVersion: Int = 176) throws -> ServerMessage {
        try ServerMessage.decode(Wire.payload(pipes), serverVersion: serverVersion)
    }

    static func client(_ pipes: String, _ serverVersion: Int = 176) throws -> ClientMessage {
        try ClientMessage.decode(Wire.payload(pipes), serverVersion: serverVersion)
    }

    // MARK: Framing

    @Test func frameAboveASmallLimit() throws {
        var buffer = Wire.buffer([0, 0, 0, 100] + Array(repeating: 0x31, count: 100))
        #expect(throws: TWSProtocolError.frameTooLarge(length: 100, limit: 64)) {
            try TWSFraming.nextFrame(from: &buffer, maximumLength: 64)
        }
        #expect(buffer.readableBytes == 104)  // nothing consumed
        // Exactly at the limit is fine.
        var atLimit = Wire.buffer([0, 0, 0, 64] + Array(repeating: 0x31, count: 64))
        #expect(try TWSFraming.nextFrame(from: &atLimit, maximumLength: 64)?.readableBytes == 64)
    }

    @Test func hugeLengthPrefixWithTheDefaultLimit() throws {
        // Refused from the header alone, long before 2 GiB could arrive.
        var buffer = Wire.buffer([0x7F, 0xFF, 0xFF, 0xFF, 0x31, 0x00])
        #expect(throws: TWSProtocolError.frameTooLarge(length: 0x7FFF_FFFF, limit: 16 * 1024 * 1024)) {
            try TWSFraming.nextFrame(from: &buffer)
        }
        var allOnes = Wire.buffer([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: TWSProtocolError.frameTooLarge(length: 0xFFFF_FFFF, limit: TWSFraming.defaultMaximumFrameLength)) {
            try TWSFraming.nextFrame(from: &allOnes)
        }
        var justAbove = Wire.buffer([0x01, 0x00, 0x00, 0x01])
        #expect(throws: TWSProtocolError.frameTooLarge(length: 16 * 1024 * 1024 + 1, limit: 16 * 1024 * 1024)) {
            try TWSFraming.nextFrame(from: &justAbove)
        }
    }

    // MARK: Fields

    @Test func truncatedTickPrice() {
        // id, version, request id, tick type: the price is missing.
        #expect(throws: TWSProtocolError.truncated(messageID: 1, fieldIndex: 4)) { try Self.server("1|6|5|1|") }
        #expect(throws: TWSProtocolError.truncated(messageID: 1, fieldIndex: 6)) { try Self.server("1|6|5|1|150.5|100|") }
        // A last field without its terminator is not a field.
        #expect(throws: TWSProtocolError.truncated(messageID: 1, fieldIndex: 6)) {
            try ServerMessage.decode(Wire.buffer(Array("1\u{0}6\u{0}5\u{0}1\u{0}150.5\u{0}100\u{0}0".utf8)), serverVersion: 176)
        }
        #expect(throws: TWSProtocolError.truncated(messageID: -1, fieldIndex: 0)) {
            try ServerMessage.decode(ByteBuffer(), serverVersion: 176)
        }
        #expect(throws: TWSProtocolError.truncated(messageID: 61, fieldIndex: 2)) { try Self.server("61|3|") }
    }

    @Test func nonNumericFields() {
        #expect(throws: TWSProtocolError.malformedField(messageID: 1, fieldIndex: 2, text: "abc")) {
            try Self.server("1|6|abc|1|150.5|100|0|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 1, fieldIndex: 4, text: "150,5")) {
            try Self.server("1|6|5|1|150,5|100|0|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 9, fieldIndex: 2, text: "12x")) { try Self.server("9|1|12x|") }
        #expect(throws: TWSProtocolError.malformedField(messageID: 9, fieldIndex: 2, text: "-")) { try Self.server("9|1|-|") }
        #expect(throws: TWSProtocolError.malformedField(messageID: 9, fieldIndex: 2, text: " 1")) { try Self.server("9|1| 1|") }
        #expect(throws: TWSProtocolError.malformedField(messageID: 9, fieldIndex: 2, text: "99999999999999999999")) {
            try Self.server("9|1|99999999999999999999|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 6, fieldIndex: 2, text: "yes")) {
            try Self.client("6|2|yes|DU1|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: -1, fieldIndex: 0, text: "tick")) {
            try Self.server("tick|6|")
        }
    }

    @Test func integerEdges() throws {
        #expect(try Self.server("9|1|+42|") == .nextValidID(NextValidID(orderID: 42)))
        #expect(try Self.server("9|1|-7|") == .nextValidID(NextValidID(orderID: -7)))
        #expect(try Self.server("9|1|9223372036854775807|") == .nextValidID(NextValidID(orderID: Int.max)))
        // Java's Long.MIN_VALUE is a value TWS writes.
        #expect(try Self.server("9|1|-9223372036854775808|") == .nextValidID(NextValidID(orderID: Int.min)))
        #expect(throws: TWSProtocolError.malformedField(messageID: 9, fieldIndex: 2, text: "-9223372036854775809")) {
            try Self.server("9|1|-9223372036854775809|")
        }
        // An empty int is 0 where the field is not optional.
        #expect(try Self.server("9|1||") == .nextValidID(NextValidID(orderID: 0)))
    }

    @Test func booleans() throws {
        #expect(try Self.client("6|2|true|DU1|") == .requestAccountUpdates(RequestAccountUpdates(subscribe: true, account: "DU1")))
        #expect(try Self.client("6|2|False|DU1|") == .requestAccountUpdates(RequestAccountUpdates(subscribe: false, account: "DU1")))
        #expect(try Self.client("6|2||DU1|") == .requestAccountUpdates(RequestAccountUpdates(subscribe: false, account: "DU1")))
        #expect(throws: TWSProtocolError.malformedField(messageID: 6, fieldIndex: 2, text: "2")) { try Self.client("6|2|2|DU1|") }
    }

    @Test func implausibleRepeatedCounts() {
        // contractDetails at 176 up to the secIdList count (field 29), then a count its 2-byte rest cannot hold.
        let head = "10|1001|AAPL|STK||0||SMART|USD|AAPL|NMS|NMS|265598|0.01||LMT|SMART|1|0|APPLE INC|NASDAQ||||||||||"
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 10, count: 1000)) { try Self.server(head + "1000|x|y|") }
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 10, count: -1)) { try Self.server(head + "-1|") }
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 10, count: Int.max)) {
            try Self.server(head + "9223372036854775807|")
        }
        // A combo with a billion legs in a request.
        #expect(throws: TWSProtocolError.implausibleCount(messageID: 1, count: 1_000_000_000)) {
            try Self.client("1|11|5|0|SPY|BAG||0.0|||SMART||USD|||1000000000|1|1|BUY|SMART|0||0|0||")
        }
        // A plausible count that the entries then do not fill is truncation.
        #expect(throws: TWSProtocolError.self) { try Self.server(head + "3|a|b|") }
    }

    @Test func unknownMessageIDs() throws {
        #expect(try Self.server("999|1|2|3|") == .unknown(id: 999))
        #expect(try Self.server("5|219|12087792|EUR|CASH|") == .unknown(id: 5))
        #expect(try Self.server("11|-1|1|") == .unknown(id: 11))
        #expect(try Self.client("3|186|0|EUR|CASH|") == .unknown(id: 3))
        #expect(try Self.client("10|1|") == .unknown(id: 10))
        // Unknown ids skip the rest of the frame unread, however odd it is.
        #expect(try Self.server("777|not|numbers|at|all") == .unknown(id: 777))
    }

    // MARK: Sentinels and specials

    @Test func maxDoubleIsUnsetInPnL() throws {
        #expect(try Self.server("94|7|1.7976931348623157E308|1.7976931348623157E308|12.5|")
            == .accountPnL(AccountPnL(requestID: 7, dailyPnL: nil, unrealizedPnL: nil, realizedPnL: 12.5)))
        #expect(try Self.server("95|8|100|-5.5|1.7976931348623157E308||1.7976931348623157E308|")
            == .positionPnL(PositionPnL(requestID: 8, position: 100, dailyPnL: -5.5, unrealizedPnL: nil, realizedPnL: nil,
                                        value: nil)))
    }

    @Test func maxIntAndMaxLongAreUnsetInOptionalInts() throws {
        func errorTime(_ text: String) throws -> Int?? {
            guard case let .error(e) = try Self.server("4|-1|2104|OK||\(text)|", 200) else { return .none }
            return .some(e.errorTime)
        }
        #expect(try errorTime("2147483647") == .some(nil))
        #expect(try errorTime("9223372036854775807") == .some(nil))
        #expect(try errorTime("") == .some(nil))
        #expect(try errorTime("2147483646") == .some(2_147_483_646))
        #expect(try errorTime("1775425766350") == .some(1_775_425_766_350))
    }

    @Test func infinityParses() throws {
        #expect(try Self.server("1|6|5|1|Infinity|100|0|")
            == .tickPrice(TickPrice(requestID: 5, tickType: 1, price: .infinity, size: 100)))
        #expect(try Self.server("1|6|5|1|-Infinity|Infinite|0|")
            == .tickPrice(TickPrice(requestID: 5, tickType: 1, price: -.infinity, size: .infinity)))
        #expect(try Self.server("2|6|5|8|-Infinite|") == .tickSize(TickSize(requestID: 5, tickType: 8, size: -.infinity)))
        #expect(throws: TWSProtocolError.malformedField(messageID: 1, fieldIndex: 4, text: "Infinit")) {
            try Self.server("1|6|5|1|Infinit|100|0|")
        }
        #expect(throws: TWSProtocolError.malformedField(messageID: 1, fieldIndex: 4, text: "1.5abc")) {
            try Self.server("1|6|5|1|1.5abc|100|0|")
        }
    }

    @Test func numberFormatsTWSWrites() throws {
        #expect(try Self.server("1|6|5|1|1.0E-5|1E3|0|")
            == .tickPrice(TickPrice(requestID: 5, tickType: 1, price: 0.00001, size: 1000)))
        #expect(try Self.server("2|6|5|0|0.00000001|") == .tickSize(TickSize(requestID: 5, tickType: 0, size: 1e-8)))
    }

    // MARK: Random garbage

    /// Thousands of seeded random payloads: each decodes, or throws a `TWSProtocolError`; nothing traps.
    @Test func randomPayloadsNeverCrash() throws {
        var random = SeededGenerator(seed: 0x7A15)
        let alphabet = Array("0123456789-+.eE|||||abcINFinity\u{0}\u{0}".utf8) + [0xC3, 0xA9, 0x5C, 0x75, 0xFF]
        let knownServerIDs = [1, 2, 4, 6, 7, 8, 9, 10, 15, 17, 45, 46, 49, 52, 53, 54, 55, 57, 58, 61, 62, 63, 64, 73, 74,
                              81, 88, 90, 94, 95, 102, 108]
        let knownClientIDs = [1, 2, 5, 6, 7, 8, 9, 15, 16, 17, 49, 59, 61, 62, 63, 64, 71, 76, 92, 93, 94, 95, 99]
        var decoded = 0
        var refused = 0
        for i in 0..<4000 {
            var bytes: [UInt8] = []
            let length = Int.random(in: 0...80, using: &random)
            switch i % 4 {
            case 0:  // raw bytes
                bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:  // protocol-looking characters
                bytes = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            default:  // a known id, then protocol-looking fields
                let ids = i % 4 == 2 ? knownServerIDs : knownClientIDs
                bytes = Array("\(ids.randomElement(using: &random)!)\u{0}".utf8)
                bytes += (0..<length).map { _ in alphabet.randomElement(using: &random)! }
                bytes = bytes.map { $0 == UInt8(ascii: "|") ? 0 : $0 }
            }
            let payload = Wire.buffer(bytes)
            let serverVersion = [157, 163, 176, 200][i % 4 == 0 ? 0 : Int.random(in: 0...3, using: &random)]
            for decode in [
                { _ = try ServerMessage.decode(payload, serverVersion: serverVersion) },
                { _ = try ClientMessage.decode(payload, serverVersion: serverVersion) },
            ] as [() throws -> Void] {
                do {
                    try decode()
                    decoded += 1
                } catch is TWSProtocolError {
                    refused += 1
                } catch {
                    Issue.record("unexpected error \(error) for \(bytes)")
                }
            }
            // The same bytes as a stream: framing either waits, yields, or refuses by length.
            var stream = payload
            do {
                while let _ = try TWSFraming.nextFrame(from: &stream, maximumLength: 64) {}
            } catch {
                #expect(error is TWSProtocolError)
            }
        }
        #expect(decoded + refused == 8000)
        #expect(decoded > 100)
        #expect(refused > 100)
    }

    /// Real frames cut short at every byte either decode (to something) or throw a `TWSProtocolError`.
    @Test func everyPrefixOfRealFrames() throws {
        let samples = RoundTripTests.serverSamples
        for sample in samples {
            let full = Wire.bytes(Wire.payload(of: sample.message!, serverVersion: 176))
            for cut in 0..<full.count {
                do {
                    _ = try ServerMessage.decode(Wire.buffer(full[..<cut]), serverVersion: 176)
                } catch is TWSProtocolError {
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
            // Cutting at the last terminator always loses a field.
            #expect(throws: TWSProtocolError.self) {
                try ServerMessage.decode(Wire.buffer(full.dropLast()), serverVersion: 176)
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(TWSProtocolError.malformedField(messageID: 1, fieldIndex: 2, text: "abc").description
            == #"TWS message 1 field 2 is malformed: "abc""#)
        #expect(TWSProtocolError.frameTooLarge(length: 100, limit: 64).description
            == "TWS frame of 100 bytes exceeds the 64-byte limit")
    }
}
