import TickhubCore

/// Reads what publishers send to `/publish` and `POST /api/market-data/publish`: one quote object or an array
/// of them (docs/protocol.md, Publishing).
///
/// A feed can push tens of thousands of updates a second through the fan-out thread, so this is a strict
/// hand-written scanner rather than Foundation's general parser. A message that is not JSON is refused whole;
/// within a well-formed array, a bad item is rejected alone and the good ones go through.
///
/// Public so that the fuzz target (`fuzz-publish`) drives it as the hub does.
public struct PublishDecoder {
    public struct Rejection: Equatable, Sendable {
        public var index: Int
        public var code: String
        public var message: String

        public init(index: Int, code: String, message: String) {
            self.index = index
            self.code = code
            self.message = message
        }
    }

    public struct Decoded {
        public var patches: [QuotePatch] = []
        /// Each patch's place in the message, for rejections found later (against the book).
        public var patchIndices: [Int] = []
        public var rejections: [Rejection] = []
    }

    /// Why a whole message was refused.
    public struct Malformed: Error, Equatable {
        public var message: String
    }

    public static let maximumItems = 10_000
    public static let maximumDepth = 16

    /// Symbols already checked against the grammar, raw text → normalized; a steady feed repeats them.
    private var knownSymbols: [[UInt8]: String] = [:]
    private static let knownSymbolsLimit = 100_000

    public init() {}

    /// `now` is µs since the epoch, to check the publisher's `ts` against.
    public mutating func decode(_ bytes: [UInt8], now: Int64) throws(Malformed) -> Decoded {
        try bytes.withUnsafeBufferPointer { (buffer) throws(Malformed) -> Decoded in
            var scanner = Scanner(bytes: buffer)
            var decoded = Decoded()
            scanner.skipWhitespace()
            switch scanner.peek {
            case UInt8(ascii: "["):
                scanner.advance()
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: "]") {
                    scanner.advance()
                } else {
                    var index = 0
                    while true {
                        guard index < Self.maximumItems else {
                            throw Malformed(message: "at most \(Self.maximumItems) quotes per message")
                        }
                        scanner.skipWhitespace()
                        if scanner.peek == UInt8(ascii: "{") {
                            try item(&scanner, index: index, now: now, into: &decoded)
                        } else {
                            try scanner.skipValue(depth: 1)
                            decoded.rejections.append(Rejection(index: index, code: "bad_quote", message: "each item must be a quote object"))
                        }
                        index += 1
                        scanner.skipWhitespace()
                        if scanner.peek == UInt8(ascii: ",") { scanner.advance(); continue }
                        try scanner.expect(UInt8(ascii: "]"))
                        break
                    }
                }
            case UInt8(ascii: "{"):
                try item(&scanner, index: 0, now: now, into: &decoded)
            default:
                throw Malformed(message: "send a quote object or an array of them, such as {\"symbol\":\"AAPL\",\"bid\":230.1,\"ask\":230.12}")
            }
            scanner.skipWhitespace()
            guard scanner.atEnd else { throw scanner.failure("unexpected text after the JSON value") }
            return decoded
        }
    }

    /// One quote object. Syntax errors throw; a bad field rejects this item only.
    private mutating func item(_ scanner: inout Scanner, index: Int, now: Int64, into decoded: inout Decoded) throws(Malformed) {
        var patch = QuotePatch(symbol: "")
        var problem: String?
        var sawValue = false
        func fail(_ why: String) { if problem == nil { problem = why } }

        try scanner.expect(UInt8(ascii: "{"))
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.advance()
        } else {
            while true {
                scanner.skipWhitespace()
                let key = try scanner.string()
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                let name = String(decoding: key, as: UTF8.self)
                if let (field, isSize) = Self.numericFields[name] {
                    switch try scanner.scalar() {
                    case .null:
                        patch[keyPath: field] = .some(nil)
                        sawValue = true
                    case let .number(value, _):
                        if isSize, value < 0 {
                            fail("\(name) must not be negative")
                        } else {
                            patch[keyPath: field] = .some(value)
                            sawValue = true
                        }
                    default: fail("\(name) must be a number or null")
                    }
                } else {
                    switch name {
                    case "symbol":
                        if case let .string(raw) = try scanner.scalar() {
                            do throws(SymbolGrammar.Rejection) { patch.symbol = try symbol(raw) } catch { fail(error.description) }
                        } else {
                            fail("symbol must be a string")
                        }
                    case "ts":
                        if case let .number(_, integer?) = try scanner.scalar() {
                            // Milliseconds are accepted too: a µs stamp of this century has 16 digits, ms 13. A
                            // negative ts stays negative: scaled with wrapping, one of 17 digits came out as 2023.
                            let micros = (0..<100_000_000_000_000).contains(integer) ? integer * 1_000 : integer
                            if micros < 946_684_800_000_000 {
                                fail("ts must be microseconds (or milliseconds) since the Unix epoch")
                            } else if micros > now + 60_000_000 {
                                fail("ts is more than 60 s ahead of this hub's clock")
                            } else {
                                patch.sourceTime = micros
                            }
                        } else {
                            fail("ts must be an integer: microseconds since the Unix epoch")
                        }
                    case "delayed", "stale":
                        if case let .bool(flag) = try scanner.scalar() {
                            if name == "delayed" { patch.delayed = flag } else { patch.stale = flag }
                        } else {
                            fail("\(name) must be true or false")
                        }
                    default:
                        // Fields of Tickhub's own quote messages may ride along (a feed relaying another hub);
                        // anything else is likely a typo the publisher should hear about.
                        try scanner.skipValue(depth: 2)
                        if !Self.ignoredFields.contains(name) { fail("unknown field \"\(quoted(name, limit: 40))\"") }
                    }
                }
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.advance(); continue }
                try scanner.expect(UInt8(ascii: "}"))
                break
            }
        }
        if problem == nil, patch.symbol.isEmpty { fail("a quote needs a \"symbol\"") }
        if problem == nil, !sawValue { fail("a quote needs at least one of bid, ask, last, sizes, volume, open, high, low, close") }
        if problem == nil { Self.checkValues(patch, fail) }
        if let problem {
            decoded.rejections.append(Rejection(index: index, code: "bad_quote", message: problem))
        } else {
            decoded.patches.append(patch)
            decoded.patchIndices.append(index)
        }
    }

    private mutating func symbol(_ raw: [UInt8]) throws(SymbolGrammar.Rejection) -> String {
        if let known = knownSymbols[raw] { return known }
        let symbol = try SymbolGrammar.parse(String(decoding: raw, as: UTF8.self)).symbol
        if knownSymbols.count >= Self.knownSymbolsLimit { knownSymbols.removeAll(keepingCapacity: true) }
        knownSymbols[raw] = symbol
        return symbol
    }

    /// A price this far from zero is a unit mistake or garbage, not a market: it would only poison totals.
    public static let largestPrice = 1e9
    public static let largestSize = 1e15

    /// What a market cannot show: a bid above the ask in the same item, or numbers no instrument trades at.
    static func checkValues(_ patch: QuotePatch, _ fail: (String) -> Void) {
        for (name, value) in [("bid", patch.bid), ("ask", patch.ask), ("last", patch.last), ("open", patch.open),
                              ("high", patch.high), ("low", patch.low), ("close", patch.close)] {
            if let value = value ?? nil, abs(value) > largestPrice { return fail("\(name) \(value) is beyond ±\(Int(largestPrice))") }
        }
        for (name, value) in [("bidSize", patch.bidSize), ("askSize", patch.askSize), ("lastSize", patch.lastSize),
                              ("volume", patch.volume)] {
            if let value = value ?? nil, value > largestSize { return fail("\(name) \(value) is beyond \(Int(largestSize))") }
        }
        if let bid = patch.bid ?? nil, let ask = patch.ask ?? nil, bid > ask {
            return fail("crossed book: bid \(bid) is above ask \(ask)")
        }
        if let high = patch.high ?? nil, let low = patch.low ?? nil, low > high {
            return fail("low \(low) is above high \(high)")
        }
    }

    /// Numeric fields and whether they are sizes (never negative); prices may be, e.g. spreads.
    // Immutable after initialization; key paths are just not declared Sendable.
    nonisolated(unsafe) static let numericFields: [String: (WritableKeyPath<QuotePatch, Double??>, isSize: Bool)] = [
        "bid": (\.bid, false), "ask": (\.ask, false), "last": (\.last, false), "open": (\.open, false),
        "high": (\.high, false), "low": (\.low, false), "close": (\.close, false),
        "bidSize": (\.bidSize, true), "askSize": (\.askSize, true), "lastSize": (\.lastSize, true), "volume": (\.volume, true),
    ]
    static let ignoredFields: Set<String> = [
        "type", "source", "seq", "t", "timestamp", "change", "changePercent", "snapshot",
    ]
}

/// A strict JSON tokenizer over bytes: just what the publish format needs, with positions in its errors.
private struct Scanner {
    enum Scalar {
        case string([UInt8])
        /// The value, and the value as an integer when it was written as one.
        case number(Double, Int64?)
        case bool(Bool)
        case null
        case other
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }
    mutating func advance() { position += 1 }

    func failure(_ why: String) -> PublishDecoder.Malformed {
        PublishDecoder.Malformed(message: "invalid JSON at byte \(position): \(why)")
    }

    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(PublishDecoder.Malformed) {
        guard peek == byte else {
            throw failure(atEnd ? "the message ends early" : "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    /// A scalar value; objects and arrays are skipped and reported as `.other`.
    mutating func scalar() throws(PublishDecoder.Malformed) -> Scalar {
        switch peek {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipValue(depth: 2); return .other
        default: return try number()
        }
    }

    mutating func skipValue(depth: Int) throws(PublishDecoder.Malformed) {
        guard depth <= PublishDecoder.maximumDepth else { throw failure("nested too deeply") }
        switch peek {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = peek == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            advance()
            skipWhitespace()
            if peek == close { advance(); return }
            while true {
                skipWhitespace()
                if isObject {
                    _ = try string()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"))
                    skipWhitespace()
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") { advance(); continue }
                try expect(close)
                return
            }
        default:
            _ = try scalar()
        }
    }

    private mutating func literal(_ word: StaticString) throws(PublishDecoder.Malformed) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("the message ends early") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] { throw failure("unexpected character") }
        position += count
    }

    /// A JSON string's bytes, escapes decoded.
    mutating func string() throws(PublishDecoder.Malformed) -> [UInt8] {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { break }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                          let code = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code)
                    else { throw failure("bad \\u escape") }
                    position += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw failure("bad escape")
                }
            case 0..<0x20:
                throw failure("control character in a string")
            default:
                out.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    /// A JSON number. Short decimals (the usual price) are converted exactly without a string round trip:
    /// an integer of at most 15 digits divided by a power of ten up to 10^22 is correctly rounded.
    private mutating func number() throws(PublishDecoder.Malformed) -> Scalar {
        let start = position
        if peek == UInt8(ascii: "-") { advance() }
        var mantissa: Int64 = 0
        var digits = 0
        var fraction = 0
        guard let first = peek, first >= 0x30, first <= 0x39 else { throw failure("expected a value") }
        if first == 0x30 {
            advance()
            if let next = peek, next >= 0x30, next <= 0x39 { throw failure("leading zero in a number") }
        } else {
            while let d = peek, d >= 0x30, d <= 0x39 {
                if digits < 18 { mantissa = mantissa * 10 + Int64(d - 0x30) }
                digits += 1
                advance()
            }
        }
        var integral = true
        if peek == UInt8(ascii: ".") {
            integral = false
            advance()
            guard let d = peek, d >= 0x30, d <= 0x39 else { throw failure("expected a digit after '.'") }
            while let d = peek, d >= 0x30, d <= 0x39 {
                if digits < 18 { mantissa = mantissa * 10 + Int64(d - 0x30); fraction += 1 }
                digits += 1
                advance()
            }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integral = false
            advance()
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { advance() }
            guard let d = peek, d >= 0x30, d <= 0x39 else { throw failure("expected a digit in the exponent") }
            while let d = peek, d >= 0x30, d <= 0x39 { advance() }
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        if integral, digits <= 18 {
            let value = negative ? -mantissa : mantissa
            return .number(Double(value), value)
        }
        if digits <= 15, fraction <= 22, !bytes[start..<position].contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            let value = Double(mantissa) / Self.powersOfTen[fraction]
            return .number(negative ? -value : value, nil)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("number out of range") }
        return .number(value, nil)
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
