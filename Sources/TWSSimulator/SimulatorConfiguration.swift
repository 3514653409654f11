import Foundation
import TickhubCore

/// How a simulated TWS behaves. Defaults give a paper-trading TWS at server version 176.
public struct SimulatorConfiguration: Sendable {
    /// The standard deviation of one trading day's log return, a fraction, by asset class; a listing may carry its
    /// own. A stock's day is its 6.5-hour session, FX's and crypto's 24 hours.
    public struct DailyVolatility: Sendable, Equatable {
        public var forex = 0.005
        public var stock = 0.015
        public var crypto = 0.03

        public init() {}

        func of(_ type: SecurityType) -> Double {
            switch type {
            case .forex: forex
            case .crypto: crypto
            case .stock, .option, .future, .index: stock
            }
        }
    }

    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 7497
    /// The highest version this TWS speaks; it answers min(this, client's max).
    public var serverVersion = 176
    /// TWS messages per second across all subscriptions (each price, size or string tick is one).
    public var ticksPerSecond = 2_000.0
    /// How often ticks are produced; each round writes one batch per connection.
    public var tickIntervalMilliseconds = 10
    public var seed: UInt64 = 42
    /// Simultaneous market-data lines across all clients (TWS's default is 100); beyond it, error 101.
    public var marketDataLines = 100
    /// Client messages per second per connection before error 100; 0 turns pacing off.
    public var pacingLimit = 50
    /// Pacing of historical-data requests, as IBKR's (error 162).
    public var historicalPacing = HistoricalPacing()
    public var universe = SymbolUniverse.standard
    /// Symbols whose live data needs a subscription this account lacks; delayed data is available.
    public var delayedOnlySymbols: Set<String> = []
    /// Symbols with neither live nor delayed entitlement.
    public var unentitledSymbols: Set<String> = []
    public var portfolio = SimulatedPortfolio.standard
    /// Seconds between unsolicited account and portfolio updates to a reqAccountUpdates subscriber.
    public var accountUpdateInterval = 5.0
    public var volatility = DailyVolatility()
    /// The risk-free rate options are priced with, annualized (0.04 is 4 %).
    public var riskFreeRate = 0.04
    /// The simulated time when the simulator starts; nil for the machine's clock. It runs in real time from there,
    /// and decides which markets are in session, the trading day and an option's time to expiry.
    public var clock: Date? = nil

    public init() {}
}
