/// How the HTTP fallback providers spell Tickhub's instruments, and back.
///
/// Tickhub's symbols are IBKR's (`BRK B`, `EUR.USD`, `BTC`, `SPY 250321P00250000`). Yahoo and Alpha Vantage
/// spell the same instruments differently, and some they do not carry at all: every forward mapping returns nil
/// for "this provider cannot quote this instrument", never a guess.
///
/// To match a response to a request, prefer comparing `yahooSymbol(for: requested)` with the symbol in the response
/// (see `yahooSymbol(_:matches:)`): the reverse lookups pick one canonical instrument per provider symbol and cannot
/// know, say, which exchange a caller had in mind.
public enum ProviderSymbols {
    // MARK: Tables

    /// IBKR index symbol → Yahoo index symbol.
    ///
    /// `DJX` is deliberately absent: it is Cboe's Dow index at 1/100 of the average, so quoting it from `^DJI`
    /// would be 100 times too high. `INDU` is the average itself.
    public static let yahooIndices: [String: String] = [
        "SPX": "^GSPC",
        "NDX": "^NDX",
        "INDU": "^DJI",
        "VIX": "^VIX",
        "RUT": "^RUT",
    ]

    /// IBKR exchange of each index in `yahooIndices`, for the instruments the reverse lookup builds.
    /// (IBKR's listing venues as commonly used; the hub does not route index requests to IBKR yet.)
    public static let indexExchanges: [String: String] = [
        "SPX": "CBOE", "NDX": "NASDAQ", "INDU": "CME", "VIX": "CBOE", "RUT": "RUSSELL",
    ]

    /// A non-US listing: the IBKR exchange, and the suffix each provider appends to the ticker.
    public struct Listing: Sendable, Equatable {
        public let ibkrExchange: String
        public let currency: String
        public let yahooSuffix: String
        /// nil when the exchange's Alpha Vantage suffix is not known.
        public let alphaVantageSuffix: String?
    }

    /// Non-US listings by IBKR exchange. An `Instrument` whose `exchange` is one of these gets the suffix; a
    /// SMART-routed stock keeps its ticker as is (so a ticker typed as `OCDO.L` still reaches Yahoo unchanged).
    public static let listings: [String: Listing] = {
        let all = [
            Listing(ibkrExchange: "LSE", currency: "GBP", yahooSuffix: ".L", alphaVantageSuffix: ".LON"),
            Listing(ibkrExchange: "IBIS", currency: "EUR", yahooSuffix: ".DE", alphaVantageSuffix: ".DEX"),
            Listing(ibkrExchange: "TSE", currency: "CAD", yahooSuffix: ".TO", alphaVantageSuffix: ".TRT"),
            Listing(ibkrExchange: "OSE", currency: "NOK", yahooSuffix: ".OL", alphaVantageSuffix: nil),
            Listing(ibkrExchange: "BVME", currency: "EUR", yahooSuffix: ".MI", alphaVantageSuffix: nil),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.ibkrExchange, $0) })
    }()

    // MARK: Yahoo

    /// Yahoo's symbol for an instrument, or nil when Yahoo cannot quote it (futures, unknown indices).
    ///
    /// Stocks as is with the share-class space as a dash (`BRK B` → `BRK-B`), plus the exchange suffix for
    /// the listings in `listings`; FX `EUR.USD` → `EURUSD=X` (USD-based pairs spelt in full, `USDJPY=X`);
    /// crypto `BTC` → `BTC-USD`; indices through `yahooIndices`; options as the OCC symbol without spaces.
    public static func yahooSymbol(for instrument: Instrument) -> String? {
        switch instrument.securityType {
        case .stock:
            let ticker = dashedClass(instrument.symbol)
            guard !ticker.isEmpty else { return nil }
            if let listing = listings[instrument.exchange], !ticker.hasSuffix(listing.yahooSuffix) {
                return ticker + listing.yahooSuffix
            }
            return ticker
        case .forex:
            guard isCurrencyCode(instrument.root), isCurrencyCode(instrument.currency) else { return nil }
            return "\(instrument.root)\(instrument.currency)=X"
        case .crypto:
            guard !instrument.root.isEmpty else { return nil }
            return "\(instrument.root)-\(instrument.currency.isEmpty ? "USD" : instrument.currency)"
        case .index:
            return yahooIndices[instrument.root] ?? yahooIndices[instrument.symbol]
        case .option:
            guard let terms = instrument.option else { return nil }
            return terms.occSymbol.filter { $0 != " " }
        case .future:
            return nil
        }
    }

    /// The instrument a Yahoo symbol names, when it is a kind Tickhub streams; nil for futures (`GC=F`) and
    /// indices outside `yahooIndices`.
    ///
    /// Accepts both `USDJPY=X` and Yahoo's short form `JPY=X` for USD-based pairs; `BRK-B` → `BRK B`;
    /// `SPY250321P00250000` → the option; `OCDO.L` → `OCDO` on LSE in GBP.
    public static func instrument(fromYahoo text: String) -> Instrument? {
        let symbol = text.uppercased()
        guard !symbol.isEmpty, !symbol.contains(" ") else { return nil }

        if symbol.hasSuffix("=X") {
            let pair = symbol.dropLast(2)
            if pair.count == 6, isCurrencyCode(pair.prefix(3)), isCurrencyCode(pair.suffix(3)) {
                return .forex(base: String(pair.prefix(3)), quote: String(pair.suffix(3)))
            }
            if pair.count == 3, isCurrencyCode(pair) { return .forex(base: "USD", quote: String(pair)) }
            return nil
        }
        if symbol.hasSuffix("=F") { return nil }
        if symbol.hasPrefix("^") {
            guard let ibkr = yahooIndices.first(where: { $0.value == symbol })?.key else { return nil }
            return indexInstrument(ibkr)
        }
        if let dash = symbol.lastIndex(of: "-"), symbol[symbol.index(after: dash)...] == "USD" {
            // Only the coins IBKR trades; other `XXX-USD` pairs are coins Tickhub does not stream.
            let coin = String(symbol[..<dash])
            return SymbolGrammar.cryptoCoins.contains(coin) ? .crypto(coin) : nil
        }
        if let option = option(fromCompactOCC: symbol) { return option }
        for listing in listings.values where symbol.hasSuffix(listing.yahooSuffix) {
            let ticker = String(symbol.dropLast(listing.yahooSuffix.count))
            guard !ticker.isEmpty else { return nil }
            let tickhub = spacedClass(ticker)
            return Instrument(
                symbol: tickhub, securityType: .stock, root: tickhub, currency: listing.currency,
                exchange: listing.ibkrExchange)
        }
        guard symbol.unicodeScalars.allSatisfy(SymbolGrammar.isSymbolCharacter) else { return nil }
        return .stock(spacedClass(symbol))
    }

    /// True when a symbol in a Yahoo response is the one requested for `instrument` (case-insensitive; `JPY=X`
    /// matches a request for `USDJPY=X`).
    public static func yahooSymbol(_ responseSymbol: String, matches requestedInstrument: Instrument) -> Bool {
        guard let requested = yahooSymbol(for: requestedInstrument) else { return false }
        if requested.caseInsensitiveEquals(responseSymbol) { return true }
        guard let parsed = instrument(fromYahoo: responseSymbol), let back = yahooSymbol(for: parsed) else {
            return false
        }
        return back.caseInsensitiveEquals(requested)
    }

    // MARK: Alpha Vantage

    /// Alpha Vantage's GLOBAL_QUOTE symbol, or nil when GLOBAL_QUOTE cannot quote the instrument: FX and crypto
    /// (they need CURRENCY_EXCHANGE_RATE), options, futures, indices, and non-US listings whose suffix is unknown.
    public static func alphaVantageSymbol(for instrument: Instrument) -> String? {
        guard instrument.securityType == .stock else { return nil }
        let ticker = dashedClass(instrument.symbol)
        guard !ticker.isEmpty else { return nil }
        if let listing = listings[instrument.exchange] {
            guard let suffix = listing.alphaVantageSuffix else { return nil }
            return ticker.hasSuffix(suffix) ? ticker : ticker + suffix
        }
        return ticker
    }

    /// The stock an Alpha Vantage symbol names (`BRK-B` → `BRK B`, `TSCO.LON` → `TSCO` on LSE).
    public static func instrument(fromAlphaVantage text: String) -> Instrument? {
        let symbol = text.uppercased()
        guard !symbol.isEmpty, symbol.unicodeScalars.allSatisfy(SymbolGrammar.isSymbolCharacter), !symbol.contains(" ")
        else { return nil }
        for listing in listings.values {
            guard let suffix = listing.alphaVantageSuffix, symbol.hasSuffix(suffix) else { continue }
            let ticker = spacedClass(String(symbol.dropLast(suffix.count)))
            guard !ticker.isEmpty else { return nil }
            return Instrument(
                symbol: ticker, securityType: .stock, root: ticker, currency: listing.currency,
                exchange: listing.ibkrExchange)
        }
        return .stock(spacedClass(symbol))
    }

    // MARK: Helpers

    /// An index instrument for an IBKR index symbol in `yahooIndices` (SymbolGrammar does not parse indices yet).
    public static func indexInstrument(_ symbol: String) -> Instrument? {
        guard yahooIndices[symbol] != nil else { return nil }
        return Instrument(
            symbol: symbol, securityType: .index, root: symbol, currency: "USD",
            exchange: indexExchanges[symbol] ?? "SMART")
    }

    /// A symbol made safe for one URL path segment: letters, digits, `-._~` and `=` stay, everything else
    /// (`^`, space, `/`, `%`, non-ASCII) becomes UTF-8 `%XX`. `^GSPC` → `%5EGSPC`, `EURUSD=X` unchanged.
    public static func percentEncodedPathSegment(_ symbol: String) -> String {
        percentEncoded(symbol) { isUnreserved($0) || $0 == UInt8(ascii: "=") }
    }

    /// A value made safe for a query string: only letters, digits and `-._~` stay. `GC=F` → `GC%3DF`,
    /// `AAPL,BABA` → `AAPL%2CBABA` (as Yahoo's own clients send them).
    public static func percentEncodedQueryValue(_ value: String) -> String {
        percentEncoded(value, keeping: isUnreserved)
    }

    static func percentEncoded(_ text: String, keeping keep: (UInt8) -> Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keep(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }

    /// `BRK B` → `BRK-B`.
    static func dashedClass(_ symbol: String) -> String {
        symbol.split(separator: " ").joined(separator: "-")
    }

    /// `BRK-B` → `BRK B`: a dash followed by one letter is a share class; other dashes stay.
    static func spacedClass(_ symbol: String) -> String {
        let parts = symbol.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 1, parts[1].allSatisfy(\.isLetter), !parts[0].isEmpty else {
            return symbol
        }
        return "\(parts[0]) \(parts[1])"
    }

    /// The 15 trailing characters of a compact OCC symbol: YYMMDD, C/P, strike × 1000 in eight digits.
    static func option(fromCompactOCC symbol: String) -> Instrument? {
        guard symbol.count > 15, symbol.count <= 21 else { return nil }
        let root = String(symbol.dropLast(15))
        let tail = symbol.suffix(15)
        guard root.allSatisfy({ $0.isLetter || $0.isNumber }), root.first?.isLetter == true,
              let instrument = try? SymbolGrammar.parse("\(root) \(tail)"), instrument.securityType == .option
        else { return nil }
        return instrument
    }

    static func isCurrencyCode<S: StringProtocol>(_ s: S) -> Bool {
        s.count == 3 && s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
    }
}

extension String {
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool {
        uppercased() == other.uppercased()
    }
}
