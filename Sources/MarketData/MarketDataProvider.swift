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

/// A provider's overall health, for `/api/health` and the dashboard.
public struct ProviderHealth: Equatable, Sendable {
    public var name: ProviderName
    /// ready, degraded, disconnected, rate-limited, disabled, error.
    public var state: String
    public var detail: String?
    /// Milliseconds since the epoch until which the provider is rate-limited.
    public var until: Int64?
    /// False while the provider can serve nothing at all (disconnected, rate-limited, disabled).
    public var available: Bool

    public init(name: ProviderName, state: String, detail: String? = nil, until: Int64? = nil, available: Bool) {
        self.name = name
        self.state = state
        self.detail = detail
        self.until = until
        self.available = available
    }
}

/// What a provider reports.
public enum ProviderEvent: Sendable {
    case quote(Quote)
    case symbol(String, ProviderSymbolState)
    case health(ProviderHealth)
}

/// A source of quotes the `DataProviderManager` can pick per symbol: IBKR, Yahoo, Alpha Vantage, pushed feeds.
public protocol MarketDataProvider: AnyObject, Sendable {
    var name: ProviderName { get }
    /// Starts the provider; every event goes to `sink`, in order, from whatever thread the provider runs on.
    func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async
    func subscribe(_ instruments: [Instrument]) async
    func unsubscribe(_ symbols: [String]) async
    /// Symbols best-ranked first: a provider with few lines gives them in this order (FanoutHub+LineShare).
    func prioritize(_ symbols: [String]) async
    func stop() async
}

extension MarketDataProvider {
    /// Pollers have no lines to share.
    public func prioritize(_ symbols: [String]) async {}
}
