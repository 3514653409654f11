/// A provider's overall health, for `/api/health` and the dashboard.
public struct ProviderHealth: Equatable, Sendable {
    public var name: QuoteSource
    public var state: ProviderState
    public var detail: String?
    /// Milliseconds since the epoch until which the provider is rate-limited.
    public var until: Int64?
    /// False while the provider can serve nothing at all (disconnected, rate-limited, disabled).
    public var available: Bool

    public init(name: QuoteSource, state: ProviderState, detail: String? = nil, until: Int64? = nil, available: Bool) {
        self.name = name
        self.state = state
        self.detail = detail
        self.until = until
        self.available = available
    }
}

/// Where a provider stands, as `/api/health` and the dashboard name it.
public enum ProviderState: String, Sendable, CaseIterable {
    case ready
    /// Connecting, or waiting to reconnect (a broker link).
    case connecting, reconnecting
    /// Connected, but its data cannot be trusted right now (a broker link).
    case degraded
    case disconnected
    /// Able to serve, but nothing feeds it (no publisher connected).
    case idle
    /// Turned off by configuration: no key, no token.
    case disabled
    case rateLimited = "rate-limited"
    case error
    /// Not reported yet.
    case unknown

    /// A broker link's state, as a provider's.
    public init(_ link: BrokerConnectionState) {
        switch link {
        case .ready: self = .ready
        case .connecting: self = .connecting
        case .reconnecting: self = .reconnecting
        case .degraded: self = .degraded
        case .disconnected: self = .disconnected
        }
    }
}
