import TickhubCore

/// How a simulated TWS behaves. Defaults give a paper-trading TWS at server version 176.
public struct SimulatorConfiguration: Sendable {
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
    public var universe = SymbolUniverse.standard
    /// Symbols whose live data needs a subscription this account lacks; delayed data is available.
    public var delayedOnlySymbols: Set<String> = []
    /// Symbols with neither live nor delayed entitlement.
    public var unentitledSymbols: Set<String> = []
    public var portfolio = SimulatedPortfolio.standard
    /// Seconds between unsolicited account and portfolio updates to a reqAccountUpdates subscriber.
    public var accountUpdateInterval = 5.0

    public init() {}
}
