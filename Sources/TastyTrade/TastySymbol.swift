import TickhubCore

/// TastyTrade's symbols in Tickhub's grammar, and the streamer symbols DXLink quotes them by.
///
/// Order symbols: `AAPL`, `BRK/B`, OCC options with the root padded to six (`SPY   230731C00393000`), futures `/ESU3`,
/// future options `./ESU3 E3AN3 230717C5600`, crypto `BTC/USD`. Streamer symbols: `AAPL`, `.SPY230731C393` (the strike
/// without trailing zeros), `/ESU23:XCME`, `BTC/USD:CXTALP`.
public enum TastySymbol {
    /// Why a TastyTrade symbol has no Tickhub instrument; shown beside the position, which is kept unvalued.
    public struct Unmapped: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String

        public init(_ reason: String) { self.reason = reason }

        public var description: String { reason }
    }

    /// dxFeed's venue suffix for the crypto TastyTrade quotes.
    static let cryptoVenue = ":CXTALP"

    public static func instrument(orderSymbol: String, type: TastyInstrumentType?) -> Result<Instrument, Unmapped> {
        let symbol = orderSymbol.trimmed(of: " ")
        guard !symbol.isEmpty else { return .failure(Unmapped("the position has no symbol")) }
        switch type ?? inferredType(symbol) {
        case .future, .futureOption:
            return .failure(Unmapped("futures are not in Tickhub's symbol grammar"))
        case .cryptocurrency:
            let parts = symbol.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1] == "USD" else {
                return .failure(Unmapped("\(symbol) is not a coin against USD, the only crypto Tickhub quotes"))
            }
            guard SymbolGrammar.cryptoCoins.contains(String(parts[0])) else {
                return .failure(Unmapped("\(parts[0]) is not among the coins Tickhub quotes (\(SymbolGrammar.cryptoCoins.sorted().joined(separator: ", ")))"))
            }
            return .success(.crypto(String(parts[0])))
        case .equityOption:
            // The root is padded to six; Tickhub's grammar takes the root and the 15-character tail with one space.
            let tail = symbol.suffix(15)
            let root = String(symbol.dropLast(15)).trimmed(of: " ")
            guard symbol.count > 15, !root.isEmpty, let instrument = try? SymbolGrammar.parse("\(root) \(tail)"),
                  instrument.securityType == .option
            else { return .failure(Unmapped("\(symbol) is not an OCC option symbol")) }
            return .success(instrument)
        case .equity:
            // A share class: TastyTrade's `BRK/B` is Tickhub's (IBKR's) `BRK B`.
            let spelled = symbol.replacingSlash(with: " ")
            guard let instrument = try? SymbolGrammar.parse(spelled), instrument.securityType == .stock else {
                return .failure(Unmapped("\(symbol) is not a stock symbol Tickhub can read"))
            }
            return .success(instrument)
        }
    }

    /// The type an order symbol's shape says, for a position whose `instrument-type` this vocabulary does not know.
    static func inferredType(_ symbol: String) -> TastyInstrumentType {
        if symbol.hasPrefix("./") { return .futureOption }
        if symbol.hasPrefix("/") { return .future }
        if symbol.hasSuffix("/USD") { return .cryptocurrency }
        if symbol.count > 15, symbol.contains(" ") { return .equityOption }
        return .equity
    }

    /// DXLink's symbol for an instrument, or nil when TastyTrade's feed does not carry it in a form known here
    /// (forex, indices, futures).
    public static func streamerSymbol(_ instrument: Instrument) -> String? {
        switch instrument.securityType {
        case .stock:
            guard !instrument.symbol.isEmpty, instrument.exchange == "SMART", instrument.currency == "USD" else { return nil }
            return instrument.symbol.replacingSpace(with: "/")
        case .option:
            guard let terms = instrument.option, terms.expiry.count == 8, terms.strike > 0, terms.strike.isFinite else { return nil }
            return ".\(terms.underlying)\(terms.expiry.dropFirst(2))\(terms.right.rawValue)\(strikeText(terms.strike))"
        case .crypto:
            guard !instrument.root.isEmpty, instrument.currency == "USD" else { return nil }
            return "\(instrument.root)/USD\(cryptoVenue)"
        default:
            return nil
        }
    }

    /// Tickhub's symbol for a streamer symbol, or nil for one Tickhub has no symbol for.
    public static func tickhubSymbol(streamerSymbol: String) -> String? {
        let symbol = streamerSymbol
        guard !symbol.isEmpty, symbol.count <= 64 else { return nil }
        let spelledBack = Self.streamerSymbol
        if symbol.hasSuffix("/USD\(cryptoVenue)") {
            let coin = String(symbol.dropLast("/USD\(cryptoVenue)".count))
            return SymbolGrammar.cryptoCoins.contains(coin) ? coin : nil
        }
        if symbol.hasPrefix(".") {
            // Only the spelling Tickhub would send: another (a lower-case root) names no subscription of ours.
            guard let option = optionSymbol(String(symbol.dropFirst())), let instrument = try? SymbolGrammar.parse(option),
                  spelledBack(instrument) == symbol
            else { return nil }
            return option
        }
        guard !symbol.hasPrefix("/"), !symbol.contains(":") else { return nil }
        guard let instrument = try? SymbolGrammar.parse(symbol.replacingSlash(with: " ")), instrument.securityType == .stock,
              spelledBack(instrument) == symbol
        else { return nil }
        return instrument.symbol
    }

    /// `SPY230731C393` → `SPY 230731C00393000`: read from the end, as the root may hold digits.
    static func optionSymbol(_ body: String) -> String? {
        let chars = Array(body)
        var index = chars.count
        while index > 0, chars[index - 1].isASCII, chars[index - 1].isNumber || chars[index - 1] == "." { index -= 1 }
        let strikeDigits = String(chars[index...])
        guard !strikeDigits.isEmpty, index >= 8, chars[index - 1] == "C" || chars[index - 1] == "P",
              let strike = TastyJSON.decimal(strikeDigits), strike > 0, strike < 100_000
        else { return nil }
        let date = String(chars[(index - 7)..<(index - 1)])
        let root = String(chars[..<(index - 7)])
        guard !root.isEmpty, date.allSatisfy({ $0.isASCII && $0.isNumber }),
              let right = OptionTerms.Right(rawValue: String(chars[index - 1]))
        else { return nil }
        let terms = OptionTerms(underlying: root, expiry: "20" + date, right: right, strike: strike)
        // Through the grammar, so what comes back is a symbol the hub accepts, and the strike survives in thousandths.
        guard let instrument = try? SymbolGrammar.parse(terms.occSymbol), instrument.securityType == .option,
              instrument.option.map({ strikeDigits == strikeText($0.strike) }) == true
        else { return nil }
        return instrument.symbol
    }

    /// A strike as the streamer writes it: no trailing zeros (`393`, `2.5`, `0.125`).
    static func strikeText(_ strike: Double) -> String {
        let thousandths = Int((strike * 1000).rounded())
        let whole = String(thousandths / 1000)
        var fraction = String(thousandths % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? whole : "\(whole).\(fraction)"
    }
}

extension String {
    fileprivate func replacingSlash(with replacement: Character) -> String {
        String(map { $0 == "/" ? replacement : $0 })
    }

    fileprivate func replacingSpace(with replacement: Character) -> String {
        String(map { $0 == " " ? replacement : $0 })
    }

    fileprivate func trimmed(of character: Character) -> String {
        guard let first = firstIndex(where: { $0 != character }), let last = lastIndex(where: { $0 != character }) else { return "" }
        return String(self[first...last])
    }
}
