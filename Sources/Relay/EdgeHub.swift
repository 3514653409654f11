import Hub
import LwsHost
import ScaleOut
import TickhubCore

/// What an edge hands its own hub, as functions: a `TickhubServer`'s in the app, a test's own in tests. Quotes go
/// in as the bytes the ingest encoded (read once for the book, passed on as they are); the broker's state and the
/// holdings as the hub's own values, decoded from their relayed messages.
public struct EdgeHub: Sendable {
    public var quote: @Sendable ([UInt8]) -> TickhubServer.RelayedQuoteOutcome
    public var brokerStatus: @Sendable (BrokerConnectionStatus) -> Void
    /// A synced broker's state (TastyTrade's).
    public var brokerSync: @Sendable (BrokerSyncStatus) -> Void
    public var providerHealth: @Sendable ([ProviderHealth]) -> Void
    public var availability: @Sendable (String, SymbolAvailability) -> Void
    public var sourceChange: @Sendable (SourceChangeMessage) -> Void
    /// A broker's holdings whole, valued and unvalued.
    public var holdings: @Sendable (HoldingsMessage) -> Void
    public var balances: @Sendable (_ broker: String, [AccountBalance]) -> Void
    /// A bar series, a bar's update and a fired alert, as the hub's publish calls take them.
    public var barSeries: @Sendable (BarSeriesMessage) -> Void
    public var bar: @Sendable (BarUpdateMessage) -> Void
    public var alert: @Sendable (AlertFired) -> Void
    /// The feed is lost, and why: every quote re-sent stale at once, every client told.
    public var feedLost: @Sendable (String) -> Void
    public var feedRestored: @Sendable () -> Void

    public init(
        quote: @escaping @Sendable ([UInt8]) -> TickhubServer.RelayedQuoteOutcome,
        brokerStatus: @escaping @Sendable (BrokerConnectionStatus) -> Void = { _ in },
        brokerSync: @escaping @Sendable (BrokerSyncStatus) -> Void = { _ in },
        providerHealth: @escaping @Sendable ([ProviderHealth]) -> Void = { _ in },
        availability: @escaping @Sendable (String, SymbolAvailability) -> Void = { _, _ in },
        sourceChange: @escaping @Sendable (SourceChangeMessage) -> Void = { _ in },
        holdings: @escaping @Sendable (HoldingsMessage) -> Void = { _ in },
        balances: @escaping @Sendable (String, [AccountBalance]) -> Void = { _, _ in },
        barSeries: @escaping @Sendable (BarSeriesMessage) -> Void = { _ in },
        bar: @escaping @Sendable (BarUpdateMessage) -> Void = { _ in },
        alert: @escaping @Sendable (AlertFired) -> Void = { _ in },
        feedLost: @escaping @Sendable (String) -> Void = { _ in },
        feedRestored: @escaping @Sendable () -> Void = {}
    ) {
        self.quote = quote
        self.brokerStatus = brokerStatus
        self.brokerSync = brokerSync
        self.providerHealth = providerHealth
        self.availability = availability
        self.sourceChange = sourceChange
        self.holdings = holdings
        self.balances = balances
        self.barSeries = barSeries
        self.bar = bar
        self.alert = alert
        self.feedLost = feedLost
        self.feedRestored = feedRestored
    }

    public static func server(_ server: TickhubServer) -> EdgeHub {
        EdgeHub(
            quote: { server.publishEncoded($0) },
            brokerStatus: { server.publishIBKRStatus($0) },
            brokerSync: { server.publishBrokerSync($0) },
            providerHealth: { server.publishProviderHealth($0) },
            availability: { server.publishAvailability($0, $1) },
            sourceChange: { server.publishSourceChange(symbol: $0.symbol, from: $0.from, to: $0.to, reason: $0.reason) },
            holdings: { server.publishHoldings(broker: $0.broker, $0.holdings, unvalued: $0.unvalued) },
            balances: { server.publishBalances(broker: $0, $1) },
            barSeries: { server.publishBarSeries($0.key, bars: $0.bars, source: $0.source, lastComplete: $0.lastComplete) },
            bar: { server.publishBar($0.key, $0.bar, source: $0.source) },
            alert: { server.publishAlert($0) },
            feedLost: { server.markAllStale(reason: $0) },
            feedRestored: { server.feedRestored() })
    }
}
