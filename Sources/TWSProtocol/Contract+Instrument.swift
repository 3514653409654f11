import TickhubCore

extension Contract {
    /// The contract that asks TWS for an instrument. Stocks route SMART; FX and crypto name their venue.
    public init(_ instrument: Instrument, conId: Int = 0) {
        self.init()
        self.conId = conId
        symbol = instrument.root
        secType = instrument.securityType.rawValue
        exchange = instrument.exchange
        currency = instrument.currency
        if let option = instrument.option {
            lastTradeDateOrContractMonth = option.expiry
            strike = option.strike
            right = option.right.rawValue
            multiplier = "100"
        }
    }

    /// The instrument a contract names, when it is a kind Tickhub streams.
    public var instrument: Instrument? {
        switch SecurityType(rawValue: secType) {
        case .stock: return .stock(symbol, currency: currency.isEmpty ? "USD" : currency)
        case .forex: return currency.isEmpty ? nil : .forex(base: symbol, quote: currency)
        case .crypto: return .crypto(symbol)
        case .option:
            // IBKR's localSymbol for an option is the padded OCC symbol.
            if let fromLocal = try? SymbolGrammar.parse(localSymbol), fromLocal.securityType == .option {
                return fromLocal
            }
            guard lastTradeDateOrContractMonth.count >= 8, let right = OptionTerms.Right(rawValue: right.uppercased())
            else { return nil }
            let expiry = String(lastTradeDateOrContractMonth.prefix(8))
            return .option(OptionTerms(underlying: symbol, expiry: expiry, right: right, strike: strike))
        case .future, .index, nil: return nil
        }
    }
}
