import TickhubCore

/// The instruments a simulated TWS knows, with their starting prices and contract facts.
public struct SymbolUniverse: Sendable {
    public struct Listing: Sendable {
        public var instrument: Instrument
        public var conId: Int
        public var startPrice: Double
        public var primaryExchange: String
        public var longName: String
        /// This instrument's daily volatility when it differs from its asset class's (an index ETF moves less than
        /// a single stock); an option's model uses its underlying's.
        public var dailyVolatility: Double?
    }

    /// Listings by symbol. Options are not listed: any option on a listed stock exists.
    public private(set) var listings: [String: Listing] = [:]

    public init() {}

    public mutating func add(
        _ instrument: Instrument, price: Double, conId: Int? = nil, primaryExchange: String = "NASDAQ",
        longName: String? = nil, dailyVolatility: Double? = nil
    ) {
        listings[instrument.symbol] = Listing(
            instrument: instrument, conId: conId ?? Self.syntheticConId(instrument.symbol), startPrice: price,
            primaryExchange: primaryExchange, longName: longName ?? instrument.symbol, dailyVolatility: dailyVolatility)
    }

    /// Adds `count` synthetic stocks `S0001`, `S0002`, ... for load tests that need a wide universe.
    public mutating func addSynthetic(count: Int) {
        guard count > 0 else { return }
        for i in 1...count {
            let symbol = "S" + String(repeating: "0", count: max(0, 4 - String(i).count)) + String(i)
            let price = 10 + Double(stableHash(symbol) % 49_000) / 100
            add(.stock(symbol), price: price, primaryExchange: "NYSE", longName: "Synthetic \(symbol)")
        }
    }

    /// The listing for an instrument; options resolve through their underlying (their price comes from its, by the
    /// option model: `startPrice` here is only a rough intrinsic-plus-time figure).
    public func listing(for instrument: Instrument) -> Listing? {
        if let listed = listings[instrument.symbol] { return listed }
        guard let option = instrument.option, let underlying = listings[option.underlying],
              underlying.instrument.securityType == .stock
        else { return nil }
        let moneyness = underlying.startPrice - option.strike
        let intrinsic = max(0, option.right == .call ? moneyness : -moneyness)
        let price = ((intrinsic + underlying.startPrice * 0.02) * 100).rounded() / 100
        return Listing(
            instrument: instrument, conId: Self.syntheticConId(instrument.symbol), startPrice: max(0.05, price),
            primaryExchange: "CBOE", longName: underlying.longName, dailyVolatility: underlying.dailyVolatility)
    }

    static func syntheticConId(_ symbol: String) -> Int {
        100_000_000 + Int(stableHash(symbol) % 800_000_000)
    }

    /// Large US stocks and ETFs, three FX pairs and two coins; conIds of the well-known ones are IBKR's own.
    public static let standard: SymbolUniverse = {
        var u = SymbolUniverse()
        u.add(.stock("AAPL"), price: 230.10, conId: 265598, longName: "APPLE INC")
        u.add(.stock("MSFT"), price: 420.55, conId: 272093, longName: "MICROSOFT CORP")
        u.add(.stock("AMZN"), price: 185.20, conId: 3691937, longName: "AMAZON.COM INC")
        u.add(.stock("GOOGL"), price: 165.30, conId: 208813719, longName: "ALPHABET INC-CL A")
        u.add(.stock("NVDA"), price: 121.40, conId: 4815747, longName: "NVIDIA CORP", dailyVolatility: 0.03)
        u.add(.stock("TSLA"), price: 250.75, conId: 76792991, longName: "TESLA INC", dailyVolatility: 0.035)
        u.add(.stock("META"), price: 505.60, conId: 107113386, longName: "META PLATFORMS INC-CLASS A")
        u.add(.stock("IBM"), price: 210.25, conId: 8314, primaryExchange: "NYSE", longName: "INTL BUSINESS MACHINES CORP")
        u.add(.stock("JPM"), price: 201.90, conId: 1520593, primaryExchange: "NYSE", longName: "JPMORGAN CHASE & CO")
        u.add(.stock("BRK B"), price: 452.00, conId: 72063691, primaryExchange: "NYSE", longName: "BERKSHIRE HATHAWAY INC-CL B")
        u.add(.stock("SPY"), price: 560.40, conId: 756733, primaryExchange: "ARCA", longName: "SPDR S&P 500 ETF TRUST", dailyVolatility: 0.01)
        u.add(.stock("QQQ"), price: 480.15, conId: 320227571, longName: "INVESCO QQQ TRUST SERIES 1", dailyVolatility: 0.012)
        u.add(.forex(base: "EUR", quote: "USD"), price: 1.08345, conId: 12087792, primaryExchange: "IDEALPRO", longName: "European Monetary Union Euro")
        u.add(.forex(base: "GBP", quote: "USD"), price: 1.27120, conId: 12087797, primaryExchange: "IDEALPRO", longName: "British pound")
        u.add(.forex(base: "USD", quote: "JPY"), price: 149.850, conId: 15016059, primaryExchange: "IDEALPRO", longName: "US dollar")
        u.add(.crypto("BTC"), price: 65_000, conId: 479624278, primaryExchange: "PAXOS", longName: "Bitcoin")
        u.add(.crypto("ETH"), price: 3_400, conId: 495759171, primaryExchange: "PAXOS", longName: "Ethereum")
        return u
    }()
}
