import Foundation
import TastyTrade

/// One account the simulated TastyTrade holds: its cash and positions, written in TastyTrade's terms (order
/// symbols, per-unit average open prices, signed quantities), and which of the simulator's walks prices each.
public struct TastyTradeSimulatedAccount: Sendable {
    public struct Position: Sendable {
        /// The order symbol: `AAPL`, `SPY   271217C00600000`, `/ESZ6`, `BTC/USD`.
        public var symbol: String
        public var instrumentType: TastyInstrumentType
        public var underlyingSymbol: String
        /// Signed: short is negative.
        public var quantity: Double
        /// Per share, per coin, per point: TastyTrade's `average-open-price` does not carry the multiplier.
        public var averageOpenPrice: Double
        public var multiplier: Double
        public var expiresAt: String?
        /// What prices it in the simulator's market.
        public var pricing: Pricing
        /// DXLink's symbol for it (`streamer-symbol`); nil derives it from the walk's instrument.
        public var streamerSymbol: String?
        /// Realized today by fills that reduced it.
        public var realizedDayGain = 0.0
        /// Milliseconds since the epoch (simulated clock) of its last change; 0 until a fill touches it.
        public var updatedAt: Int64 = 0

        public init(
            symbol: String, instrumentType: TastyInstrumentType, underlyingSymbol: String, quantity: Double,
            averageOpenPrice: Double, multiplier: Double = 1, expiresAt: String? = nil, pricing: Pricing,
            streamerSymbol: String? = nil
        ) {
            self.symbol = symbol
            self.instrumentType = instrumentType
            self.underlyingSymbol = underlyingSymbol
            self.quantity = quantity
            self.averageOpenPrice = averageOpenPrice
            self.multiplier = multiplier
            self.expiresAt = expiresAt
            self.pricing = pricing
            self.streamerSymbol = streamerSymbol
        }
    }

    /// Where a position's prices come from.
    public enum Pricing: Sendable, Equatable {
        /// A walk of the simulated market, by Tickhub symbol (`AAPL`, `SPY 271217C00600000`, `BTC`).
        case walk(String)
        /// A walk's prices times a factor on a tick grid: a future the market has no walk of (`/ES` ≈ SPY × 10).
        case scaled(String, factor: Double, tick: Double)
    }

    public var accountNumber: String
    public var nickname: String
    /// "Margin" or "Cash".
    public var marginOrCash: String
    public var accountTypeName: String
    public var cash: Double
    public var positions: [Position]

    public init(
        accountNumber: String, nickname: String, marginOrCash: String, accountTypeName: String = "Individual",
        cash: Double, positions: [Position]
    ) {
        self.accountNumber = accountNumber
        self.nickname = nickname
        self.marginOrCash = marginOrCash
        self.accountTypeName = accountTypeName
        self.cash = cash
        self.positions = positions
    }

    /// A margin account with stocks (one short, whose cost effect is Debit), an equity option under its padded OCC
    /// symbol, bitcoin and an E-mini future (which Tickhub's symbol grammar does not name); a cash account with two
    /// stocks.
    public static let standard: [TastyTradeSimulatedAccount] = [
        TastyTradeSimulatedAccount(accountNumber: "5WT00001", nickname: "Margin", marginOrCash: "Margin", cash: 48_250.75, positions: [
            Position(symbol: "AAPL", instrumentType: .equity, underlyingSymbol: "AAPL", quantity: 50, averageOpenPrice: 212.40, pricing: .walk("AAPL")),
            Position(symbol: "MSFT", instrumentType: .equity, underlyingSymbol: "MSFT", quantity: -20, averageOpenPrice: 431.00, pricing: .walk("MSFT")),
            Position(
                symbol: "SPY   271217C00600000", instrumentType: .equityOption, underlyingSymbol: "SPY", quantity: 3,
                averageOpenPrice: 48.10, multiplier: 100, expiresAt: "2027-12-17T21:15:00.000+00:00",
                pricing: .walk("SPY 271217C00600000")),
            Position(symbol: "BTC/USD", instrumentType: .cryptocurrency, underlyingSymbol: "BTC/USD", quantity: 0.25, averageOpenPrice: 61_200, pricing: .walk("BTC")),
            Position(
                symbol: "/ESZ6", instrumentType: .future, underlyingSymbol: "/ES", quantity: 1, averageOpenPrice: 5_585.25,
                multiplier: 50, expiresAt: "2026-12-18T14:30:00.000+00:00", pricing: .scaled("SPY", factor: 10, tick: 0.25),
                streamerSymbol: "/ESZ26:XCME"),
        ]),
        TastyTradeSimulatedAccount(accountNumber: "5WT00002", nickname: "Cash", marginOrCash: "Cash", cash: 12_480.10, positions: [
            Position(symbol: "NVDA", instrumentType: .equity, underlyingSymbol: "NVDA", quantity: 40, averageOpenPrice: 118.50, pricing: .walk("NVDA")),
            Position(symbol: "QQQ", instrumentType: .equity, underlyingSymbol: "QQQ", quantity: 15, averageOpenPrice: 470.00, pricing: .walk("QQQ")),
        ]),
    ]
}
