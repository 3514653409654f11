/// A provider's overall health, for `/api/health` and the dashboard.
public struct ProviderHealth: Equatable, Sendable {
    public var name: QuoteSource
    /// ready, degraded, disconnected, rate-limited, disabled, error.
    public var state: String
    public var detail: String?
    /// Milliseconds since the epoch until which the provider is rate-limited.
    public var until: Int64?
    /// False while the provider can serve nothing at all (disconnected, rate-limited, disabled).
    public var available: Bool

    public init(name: QuoteSource, state: String, detail: String? = nil, until: Int64? = nil, available: Bool) {
        self.name = name
        self.state = state
        self.detail = detail
        self.until = until
        self.available = available
    }
}
