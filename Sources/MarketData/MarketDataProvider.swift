import TickhubCore

/// Whether one provider can serve one symbol right now.
public enum ProviderSymbolState: Equatable, Sendable {
    /// Requested; the first quote has not come yet.
    case pending
    /// Quotes are flowing (streamed, or polled on schedule).
    case serving
    /// Known instrument, but this provider cannot serve it now: disconnected, out of lines, not entitled,
    /// rate-limited. The reason is shown to users.
    case unavailable(String)
    /// The provider does not know the instrument.
    case unknown
}

/// What a provider reports.
public enum ProviderEvent: Sendable {
    case quote(Quote)
    case symbol(String, ProviderSymbolState)
    case health(ProviderHealth)
}

/// A source of quotes the `DataProviderManager` can pick per symbol: IBKR, Yahoo, Alpha Vantage, pushed feeds.
public protocol MarketDataProvider: AnyObject, Sendable {
    var name: QuoteSource { get }
    /// Starts the provider; every event goes to `sink`, in order, from whatever thread the provider runs on.
    func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async
    func subscribe(_ instruments: [Instrument]) async
    func unsubscribe(_ symbols: [String]) async
    /// Symbols best-ranked first: a provider with few lines gives them in this order (SymbolInterest.fairShareOrder).
    func prioritize(_ symbols: [String]) async
    func stop() async
}

extension MarketDataProvider {
    /// Pollers have no lines to share.
    public func prioritize(_ symbols: [String]) async {}
}
