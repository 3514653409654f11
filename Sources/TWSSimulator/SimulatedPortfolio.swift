import Foundation
import TickhubCore

/// The accounts a simulated TWS reports: cash, positions with IBKR-style average costs, and a few account values.
///
/// Loaded from JSON (see `config/sim-portfolio.json`). Average costs follow IBKR: per share for stocks,
/// per contract (multiplier applied) for options.
public struct SimulatedPortfolio: Sendable, Codable {
    public struct Account: Sendable, Codable {
        public var id: String
        public var currency: String
        public var cash: Double
        public var realizedPnL: Double
        public var positions: [Holding]
    }

    public struct Holding: Sendable, Codable {
        public var symbol: String
        public var quantity: Double
        public var averageCost: Double
    }

    public var accounts: [Account]

    public init(accounts: [Account]) { self.accounts = accounts }

    public static func load(from url: URL) throws -> SimulatedPortfolio {
        try JSONDecoder().decode(SimulatedPortfolio.self, from: Data(contentsOf: url))
    }

    /// Used when no file is given: one paper account with a stock, a short stock, FX, crypto and an option.
    public static let standard = SimulatedPortfolio(accounts: [
        Account(id: "DU1234567", currency: "USD", cash: 250_000, realizedPnL: 1_250.40, positions: [
            Holding(symbol: "AAPL", quantity: 100, averageCost: 190.25),
            Holding(symbol: "MSFT", quantity: -50, averageCost: 430.10),
            Holding(symbol: "SPY 271217C00600000", quantity: 2, averageCost: 1_050.00),
            Holding(symbol: "EUR.USD", quantity: 20_000, averageCost: 1.0712),
            Holding(symbol: "BTC", quantity: 0.5, averageCost: 60_000),
        ]),
    ])
}

/// One position valued at the simulator's current price, in the numbers TWS reports.
struct PositionValuation {
    var account: String
    var instrument: Instrument
    var conId: Int
    var quantity: Double
    var averageCost: Double
    var marketPrice: Double
    var previousClose: Double

    var marketValue: Double { marketPrice * quantity * instrument.multiplier }
    /// averageCost already carries the multiplier, as IBKR reports it.
    var unrealizedPnL: Double { marketValue - averageCost * quantity }
    var dailyPnL: Double { (marketPrice - previousClose) * quantity * instrument.multiplier }
}
