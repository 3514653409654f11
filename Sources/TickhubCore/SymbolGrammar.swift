/// Turns what a trader types into an `Instrument`, or says why it cannot.
///
/// Accepted forms: stocks `AAPL`, `BRK B`; FX `EUR.USD`; crypto `BTC` (the coins IBKR trades on PAXOS);
/// OCC options `SPY 250321P00250000` (the root may be padded with spaces to six characters).
public enum SymbolGrammar {
    /// Coins IBKR trades through PAXOS; a bare coin name means the coin against USD.
    public static let cryptoCoins: Set<String> = ["BTC", "ETH", "LTC", "BCH"]
    /// The longest symbol accepted, to bound what a client can make the hub hold.
    public static let maximumLength = 32

    public enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case invalidCharacters(String)
        case malformedOption(String)
        case impossibleExpiry(String)
        case malformedPair(String)

        public var description: String {
            switch self {
            case .empty: "symbol is empty"
            case let .tooLong(n): "symbol is \(n) characters, more than \(SymbolGrammar.maximumLength)"
            case let .invalidCharacters(s): "\"\(s)\" is not a symbol: use letters, digits, '.', '-' and one space"
            case let .malformedOption(s): "\"\(s)\" is not an OCC option symbol such as SPY 250321P00250000"
            case let .impossibleExpiry(s): "\"\(s)\" expires on a day that does not exist"
            case let .malformedPair(s): "\"\(s)\" is not a currency pair such as EUR.USD"
            }
        }
    }

    public static func parse(_ text: String) throws(Rejection) -> Instrument {
        let symbol = text.uppercased().trimmingCharacters(in: " ")
        guard !symbol.isEmpty else { throw .empty }
        guard symbol.count <= maximumLength else { throw .tooLong(symbol.count) }
        guard symbol.unicodeScalars.allSatisfy(isSymbolCharacter) else { throw .invalidCharacters(text) }

        let words = symbol.split(separator: " ")
        if words.count == 2, words[1].count == 15 { return try parseOption(root: String(words[0]), tail: words[1], text) }
        if words.count == 2 {
            // A share class: IBKR's `BRK B`.
            guard words[1].count == 1, isTicker(words[0]) else { throw .invalidCharacters(text) }
            return .stock("\(words[0]) \(words[1])")
        }
        guard words.count == 1 else { throw .invalidCharacters(text) }

        let parts = symbol.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isLetter) }) {
            return .forex(base: String(parts[0]), quote: String(parts[1]))
        }
        // Three-letter codes joined by more than one dot look like a pair and are none: EUR.USD.JPY is no ticker.
        if parts.count > 2, parts.prefix(2).allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isLetter) }) {
            throw .malformedPair(text)
        }
        if cryptoCoins.contains(symbol) { return .crypto(symbol) }
        guard isTicker(Substring(symbol)) else { throw .invalidCharacters(text) }
        return .stock(symbol)
    }

    static func parseOption(root: String, tail: Substring, _ text: String) throws(Rejection) -> Instrument {
        let chars = Array(tail)
        let date = String(chars[0..<6])
        let strikeDigits = String(chars[7..<15])
        guard isTicker(Substring(root)), date.allSatisfy(\.isNumber), strikeDigits.allSatisfy(\.isNumber),
              let right = OptionTerms.Right(rawValue: String(chars[6])), let millis = Int(strikeDigits),
              let month = Int(date.dropFirst(2).prefix(2)), (1...12).contains(month),
              let day = Int(date.suffix(2)), (1...31).contains(day), let year = Int(date.prefix(2))
        else { throw .malformedOption(text) }
        guard day <= daysIn(month: month, year: 2000 + year) else { throw .impossibleExpiry(text) }
        return .option(OptionTerms(underlying: root, expiry: "20" + date, right: right, strike: Double(millis) / 1000))
    }

    /// The Gregorian calendar's month lengths; OCC years are 2000–2099, where every fourth year is a leap year.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isSymbolCharacter(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "-" || c == " "
    }

    static func isTicker(_ s: Substring) -> Bool {
        guard let first = s.first, first.isLetter || first.isNumber, s.count <= 12 else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        guard let first = firstIndex(where: { $0 != character }), let last = lastIndex(where: { $0 != character }) else { return "" }
        return String(self[first...last])
    }
}
