/// A tradable instrument, identified by the symbol a trader types.
///
/// The symbol is the identity: `AAPL`, `EUR.USD`, `BTC`, `SPY 250321P00250000`. Everything else
/// (exchange, currency, multiplier) follows from it, so two spellings of one instrument compare equal.
public struct Instrument: Hashable, Sendable, CustomStringConvertible {
    /// The canonical user symbol.
    public let symbol: String
    public let securityType: SecurityType
    /// Stocks and crypto: the ticker; FX: the base currency; options: the underlying.
    public let root: String
    public let currency: String
    /// IBKR's routing exchange for the instrument's kind.
    public let exchange: String
    /// Units per contract: 100 for equity options, 1 otherwise.
    public let multiplier: Double
    public let option: OptionTerms?

    public var description: String { symbol }

    public init(
        symbol: String, securityType: SecurityType, root: String, currency: String, exchange: String,
        multiplier: Double = 1, option: OptionTerms? = nil
    ) {
        self.symbol = symbol
        self.securityType = securityType
        self.root = root
        self.currency = currency
        self.exchange = exchange
        self.multiplier = multiplier
        self.option = option
    }

    public static func stock(_ ticker: String, currency: String = "USD") -> Instrument {
        Instrument(symbol: ticker, securityType: .stock, root: ticker, currency: currency, exchange: "SMART")
    }

    public static func forex(base: String, quote: String) -> Instrument {
        Instrument(symbol: "\(base).\(quote)", securityType: .forex, root: base, currency: quote, exchange: "IDEALPRO")
    }

    public static func crypto(_ coin: String) -> Instrument {
        Instrument(symbol: coin, securityType: .crypto, root: coin, currency: "USD", exchange: "PAXOS")
    }

    public static func option(_ terms: OptionTerms) -> Instrument {
        Instrument(
            symbol: terms.occSymbol, securityType: .option, root: terms.underlying, currency: "USD",
            exchange: "SMART", multiplier: 100, option: terms)
    }
}

/// The terms of a listed equity option, as an OCC symbol spells them.
public struct OptionTerms: Hashable, Sendable {
    public enum Right: String, Sendable {
        case call = "C"
        case put = "P"
    }

    public let underlying: String
    /// `YYYYMMDD`, as IBKR's lastTradeDateOrContractMonth wants it.
    public let expiry: String
    public let right: Right
    public let strike: Double

    public init(underlying: String, expiry: String, right: Right, strike: Double) {
        self.underlying = underlying
        self.expiry = expiry
        self.right = right
        self.strike = strike
    }

    /// `SPY 250321P00250000`: root, one space, YYMMDD, right, strike × 1000 in eight digits.
    public var occSymbol: String {
        let millis = Int((strike * 1000).rounded())
        let digits = String(millis)
        return "\(underlying) \(expiry.dropFirst(2))\(right.rawValue)\(String(repeating: "0", count: max(0, 8 - digits.count)))\(digits)"
    }
}
