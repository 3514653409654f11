import TickhubCore

/// The inverse of `QuoteEncoding`: a quote's wire form read back into the book entry it was written from, so that a
/// hub fed another hub's bytes (an edge behind an ingest) keeps them as they are for its clients and holds the same
/// entry for its book, its snapshots and its HTTP answers. `QuoteEncoding.encode` of what this returns gives back
/// the bytes it read (the prices are the decimals written; `change` is worked out from them on both sides).
///
/// What is derived is not read back: `change` and `changePercent` (from the prices), `marketOpen` (from the time it
/// is judged at), `snapshot` (the encoder's argument). Fields it does not know are skipped, so that a newer hub's
/// bytes still feed an older one. Anything else that is not what the encoder writes is refused with the reason and
/// the offset: the bytes come over a network, and never crash the hub.
package enum QuoteDecoding {
    package static func decode(_ bytes: [UInt8]) throws(QuoteDecodingError) -> QuoteBook.Entry {
        try bytes.withUnsafeBufferPointer { (buffer) throws(QuoteDecodingError) -> QuoteBook.Entry in
            var reader = QuoteReader(buffer)
            return try reader.entry()
        }
    }
}

/// Why bytes are not a quote, and where the reading stopped.
package struct QuoteDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    package let reason: String
    package let offset: Int

    package var description: String { "not a quote: \(reason) at byte \(offset)" }
}

/// One pass over a quote object's bytes. Numbers are read by the standard library from their digits (correctly
/// rounded, so the decimals written come back as the same doubles the encoder rounded to).
private struct QuoteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func entry() throws(QuoteDecodingError) -> QuoteBook.Entry {
        var quote = Quote(symbol: "", source: .push)
        var type: String?, source: QuoteSource?
        var timestamp: Int64?, sequence: Int64?, received: Int64?, delayed: Bool?, stale: Bool?
        var greeks: OptionGreeks?
        func greek(_ set: (inout OptionGreeks) -> Void) {
            var values = greeks ?? OptionGreeks()
            set(&values)
            greeks = values
        }

        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") { at += 1 } else {
            var expected = 0
            while true {
                let field = try key(expected: &expected)
                try expect(UInt8(ascii: ":"))
                switch field {
                case .type: type = try string()
                case .symbol: quote.symbol = try string()
                case .bid: quote.bid = try number()
                case .ask: quote.ask = try number()
                case .last: quote.last = try number()
                case .bidSize: quote.bidSize = try number()
                case .askSize: quote.askSize = try number()
                case .lastSize: quote.lastSize = try number()
                case .volume: quote.volume = try number()
                case .open: quote.open = try number()
                case .high: quote.high = try number()
                case .low: quote.low = try number()
                case .close: quote.close = try number()
                case .timestamp: timestamp = try integer()
                case .source:
                    let start = at
                    let name = try string()
                    guard let known = QuoteSource(rawValue: name) else { throw failure("unknown source \"\(name)\"", start) }
                    source = known
                case .delayed: delayed = try flag()
                case .stale: stale = try flag()
                case .impliedVolatility: let value = try number(); greek { $0.impliedVolatility = value }
                case .delta: let value = try number(); greek { $0.delta = value }
                case .gamma: let value = try number(); greek { $0.gamma = value }
                case .vega: let value = try number(); greek { $0.vega = value }
                case .theta: let value = try number(); greek { $0.theta = value }
                case .underlyingPrice: let value = try number(); greek { $0.underlyingPrice = value }
                case .seq: sequence = try integer()
                case .t: received = try integer()
                case .ts: quote.sourceTime = try integer()
                // Derived from the rest: the encoder writes them again.
                case .change, .changePercent: _ = try number()
                case .marketOpen, .snapshot: _ = try flag()
                case nil: try skipValue(depth: 0)
                }
                let separator = try next()
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw failure("expected , or }", at - 1) }
            }
        }
        skipSpace()
        guard at == bytes.count else { throw failure("bytes after the quote", at) }

        guard type == "quote" else { throw failure(type.map { "type \"\($0)\" is not quote" } ?? "no type", 0) }
        guard !quote.symbol.isEmpty else { throw failure("no symbol", 0) }
        guard let source else { throw failure("no source", 0) }
        guard let timestamp else { throw failure("no timestamp", 0) }
        guard let delayed, let stale else { throw failure("no delayed or stale flag", 0) }
        guard let sequence, sequence >= 0 else { throw failure("no seq", 0) }
        guard let received else { throw failure("no t", 0) }
        quote.source = source
        quote.timestamp = timestamp
        quote.delayed = delayed
        quote.stale = stale
        quote.greeks = greeks
        return QuoteBook.Entry(quote: quote, sequence: UInt64(sequence), receivedAt: Timestamp(microseconds: received))
    }

    /// The fields the encoder writes, in its order.
    enum Field: String, CaseIterable {
        case type, symbol, bid, ask, last, bidSize, askSize, lastSize, volume, open, high, low, close, change, changePercent
        case timestamp, source, delayed, stale, marketOpen, impliedVolatility, delta, gamma, vega, theta, underlyingPrice
        case seq, t, ts, snapshot
    }

    static let fieldNames: [(name: [UInt8], field: Field)] = Field.allCases.map { (Array($0.rawValue.utf8), $0) }

    /// The next key, as the field it names (nil for one this hub does not know). The encoder's order is tried
    /// first (`expected` follows it), so a key costs one comparison of its bytes.
    mutating func key(expected: inout Int) throws(QuoteDecodingError) -> Field? {
        try expect(UInt8(ascii: "\""))
        let start = at
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
        guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else {
            // Escapes in a key: none the encoder writes, but JSON allows them.
            at = start - 1
            let text = try string()
            return Field(rawValue: text)
        }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<at])
        at += 1
        let names = Self.fieldNames
        if expected < names.count, names[expected].name.elementsEqual(name) {
            defer { expected += 1 }
            return names[expected].field
        }
        guard let index = names.firstIndex(where: { $0.name.elementsEqual(name) }) else { return nil }
        expected = index + 1
        return names[index].field
    }

    // MARK: Tokens

    func failure(_ reason: String, _ offset: Int) -> QuoteDecodingError { QuoteDecodingError(reason: reason, offset: offset) }

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return at < bytes.count ? bytes[at] : nil
    }

    mutating func next() throws(QuoteDecodingError) -> UInt8 {
        guard let byte = peek() else { throw failure("the bytes end inside the quote", at) }
        at += 1
        return byte
    }

    mutating func expect(_ byte: UInt8) throws(QuoteDecodingError) {
        guard try next() == byte else { throw failure("expected \(Character(Unicode.Scalar(byte)))", at - 1) }
    }

    mutating func literal(_ word: String) throws(QuoteDecodingError) {
        for byte in word.utf8 {
            guard at < bytes.count, bytes[at] == byte else { throw failure("expected \(word)", at) }
            at += 1
        }
    }

    /// `null`, or a JSON number: nil for null. A number of at most 15 digits, none in an exponent (every price and
    /// size the encoder writes), is its digits as an integer over a power of ten: both exact, so the one division
    /// rounds correctly, as the standard library's reading would.
    mutating func number() throws(QuoteDecodingError) -> Double? {
        if peek() == UInt8(ascii: "n") { try literal("null"); return nil }
        let start = at
        let shape = try numberShape()
        if let digits = shape.digits, shape.fractionDigits < Self.powersOfTen.count {
            let value = Double(digits) / Self.powersOfTen[shape.fractionDigits]
            return shape.negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("\(text) is out of range", start) }
        return value
    }

    static let powersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    mutating func integer() throws(QuoteDecodingError) -> Int64 {
        skipSpace()
        let start = at
        let shape = try numberShape()
        if shape.whole, let digits = shape.digits { return shape.negative ? -Int64(digits) : Int64(digits) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard shape.whole, let value = Int64(text) else { throw failure("\(text) is not a whole number in range", start) }
        return value
    }

    /// A number checked against JSON's grammar (`-`, digits without a leading zero, a fraction, an exponent) and
    /// read as its digits: nil when more than 2^53 (or any exponent), which is then read from its text.
    mutating func numberShape() throws(QuoteDecodingError) -> (negative: Bool, digits: UInt64?, fractionDigits: Int, whole: Bool) {
        skipSpace()
        let start = at
        var digits: UInt64? = 0
        func run(_ reader: inout QuoteReader, into digits: inout UInt64?) -> Int {
            let from = reader.at
            while reader.at < reader.bytes.count, (0x30...0x39).contains(reader.bytes[reader.at]) {
                // Below 2^53 a double holds every integer; a value that stays there cannot overflow the product.
                if let value = digits {
                    let next = value * 10 + UInt64(reader.bytes[reader.at] - 0x30)
                    digits = next <= 9_007_199_254_740_992 ? next : nil
                }
                reader.at += 1
            }
            return reader.at - from
        }
        let negative = at < bytes.count && bytes[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let integral = at
        guard run(&self, into: &digits) > 0 else { throw failure("expected a number", start) }
        if bytes[integral] == UInt8(ascii: "0"), at - integral > 1 { throw failure("a number with a leading zero", start) }
        var fractionDigits = 0
        var whole = true
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            whole = false
            fractionDigits = run(&self, into: &digits)
            guard fractionDigits > 0 else { throw failure("no digits after the decimal point", at) }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            whole = false
            digits = nil
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            var ignored: UInt64?
            guard run(&self, into: &ignored) > 0 else { throw failure("no digits in the exponent", at) }
        }
        guard at - start <= 40 else { throw failure("a number of \(at - start) characters", start) }
        return (negative, digits, fractionDigits, whole)
    }

    mutating func flag() throws(QuoteDecodingError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw failure("expected true or false", at)
        }
    }

    /// A JSON string, its escapes undone; what is not valid UTF-8 is refused.
    mutating func string() throws(QuoteDecodingError) -> String {
        try expect(UInt8(ascii: "\""))
        // Keys and symbols have no escapes: read in place (a short string is kept inline, nothing allocated).
        let start = at
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
        if at < bytes.count, bytes[at] == UInt8(ascii: "\"") {
            at += 1
            guard let plain = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self) else {
                throw failure("a string that is not UTF-8", at)
            }
            return plain
        }
        var text = Array(bytes[start..<at])
        while true {
            guard at < bytes.count else { throw failure("the bytes end inside a string", at) }
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let decoded = String(validating: text, as: UTF8.self) else { throw failure("a string that is not UTF-8", at) }
                return decoded
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw failure("the bytes end inside an escape", at) }
                let escaped = bytes[at]
                at += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"): text.append(contentsOf: try unicodeEscape())
                default: throw failure("an unknown escape", at - 1)
                }
            case 0..<0x20: throw failure("a control character inside a string", at - 1)
            default: text.append(byte)
            }
        }
    }

    /// After `\u`: four hex digits, and a second escape for a character beyond the BMP; its UTF-8.
    mutating func unicodeEscape() throws(QuoteDecodingError) -> [UInt8] {
        var value = try hexQuad()
        if (0xD800..<0xDC00).contains(value) {
            guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                throw failure("a lone surrogate", at)
            }
            at += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate", at - 4) }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw failure("a lone surrogate", at - 4) }
        return Array(String(Character(scalar)).utf8)
    }

    mutating func hexQuad() throws(QuoteDecodingError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw failure("the bytes end inside an escape", at) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw failure("not a hex digit", at)
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }

    /// A value of a field this hub does not know, passed over. Nesting is bounded: the bytes come over a network.
    mutating func skipValue(depth: Int) throws(QuoteDecodingError) {
        guard depth < 16 else { throw failure("values nested too deep", at) }
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try flag()
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "["):
            at += 1
            if peek() == UInt8(ascii: "]") { at += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                let separator = try next()
                if separator == UInt8(ascii: "]") { return }
                guard separator == UInt8(ascii: ",") else { throw failure("expected , or ]", at - 1) }
            }
        case UInt8(ascii: "{"):
            at += 1
            if peek() == UInt8(ascii: "}") { at += 1; return }
            while true {
                _ = try string()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                let separator = try next()
                if separator == UInt8(ascii: "}") { return }
                guard separator == UInt8(ascii: ",") else { throw failure("expected , or }", at - 1) }
            }
        default: _ = try numberShape()
        }
    }
}
