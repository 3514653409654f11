import HubProtocol
import TickhubCore

/// What happens to the hub as a whole, told to every shard: each keeps its own copy of the market, the positions
/// and the providers' state, so that it answers its own clients and HTTP requests without asking another thread.
package enum HubEvent: Sendable {
    case quote(EncodedQuote)
    case availability(String, SymbolAvailability)
    case brokerStatus(BrokerConnectionStatus)
    case providerHealth([ProviderHealth])
    /// A broker's positions whole: those valued against the market, and those Tickhub cannot value, listed apart.
    case holdings(broker: String, [Holding], unvalued: [UnvaluedHolding])
    /// A synced broker's state (TastyTrade's): fetching, live, or in error and why.
    case brokerSync(BrokerSyncStatus)
    case balances(broker: String, [AccountBalance])
    case sourceChanged(symbol: String, from: QuoteSource?, to: QuoteSource?, reason: String)
    /// The outcome of the latest database write of one kind: nil when it worked.
    case databaseProblem(String?, write: DatabaseWrite)
    /// No shard follows these any more and they were released upstream: quotes for them no longer come.
    case released([String])
    /// A whole bar series (its snapshot), and one bar's update, each encoded once.
    case barSeries(EncodedBarSeries)
    case bar(EncodedBar)
    /// No shard follows these series any more and they were released upstream: their updates no longer come.
    case barsReleased([BarKey])
    /// A price alert fired, for the `alerts` channel.
    case alert(EncodedAlert)
    /// What feeds the hub is lost, and why (an edge's link to its ingest): every quote is marked stale at once.
    case feedLost(String)
    /// It is back.
    case feedRestored
}

extension FanoutHub {
    /// Applies a hub-wide event to this shard's state and clients.
    package func apply(_ event: HubEvent) {
        switch event {
        case let .quote(update): publish(update)
        case let .availability(symbol, state): setAvailability(symbol, state)
        case let .brokerStatus(status): setBrokerStatus(status)
        case let .providerHealth(health): providerHealth = health
        case let .holdings(broker, list, unvalued): setHoldings(broker, list, unvalued: unvalued)
        case let .brokerSync(status): pnl.setSync(status)
        case let .balances(broker, values): setBalances(broker, values)
        case let .sourceChanged(symbol, from, to, reason): sourceChanged(symbol, from: from, to: to, reason: reason)
        case let .databaseProblem(problem, write): databaseProblems[write] = problem
        case let .released(symbols): forgetReleased(symbols)
        case let .barSeries(series): publishBarSeries(series)
        case let .bar(update): publishBar(update)
        case let .barsReleased(keys): forgetReleasedSeries(keys)
        case let .alert(alert): publishAlert(alert)
        case let .feedLost(reason): markAllStale(reason: reason, now: clock.now())
        case .feedRestored: feedRestored()
        }
    }
}
