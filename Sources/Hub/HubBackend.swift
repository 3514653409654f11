import HubProtocol
import TickhubCore

/// What the server asks of the rest of Tickhub: market data for symbols clients want, and IBKR control.
public protocol HubBackend: Sendable {
    func subscribe(_ instruments: [Instrument]) async
    func unsubscribe(_ symbols: [String]) async
    /// Every symbol followed, best-ranked first: the order in which providers with a few lines give them out.
    func prioritize(_ symbols: [String]) async
    func ibkrStatus() async -> BrokerConnectionStatus?
    func setIBKRConnected(_ connected: Bool) async
    /// `/api/positions…` and `/api/portfolio/history`: positions kept in the database.
    func portfolio(_ request: HTTPRequest) async -> HTTPResponse
    /// P&L totals for the history, by scope (`total`, `broker:<name>`, `account:<broker>:<id>`).
    /// Returns why the write failed, nil when it worked: `/api/health` reports it.
    func recordPnL(_ totals: [PnLRecord]) async -> String?
    /// The latest quotes, so a restart can show the last known prices (stale until refreshed).
    /// Returns why the write failed, nil when it worked.
    func saveQuotes(_ quotes: [Quote]) async -> String?
    /// Updates a publisher pushed, already validated; `publisher` is its `/publish` connection, nil for an
    /// HTTP post; `receivedAt` in µs since the epoch. Called on the fan-out thread: must not block. Returns the
    /// patches refused against the quotes they would land on.
    func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Int64) -> [RefusedPatch]
    /// A `/publish` connection opened or closed: its quotes are live only while it is there.
    func publisher(_ id: Int, connected: Bool)
}

extension HubBackend {
    public func portfolio(_ request: HTTPRequest) async -> HTTPResponse {
        .error(503, code: "no_database", "this hub runs without a position database")
    }
    public func recordPnL(_ totals: [PnLRecord]) async -> String? { nil }
    public func saveQuotes(_ quotes: [Quote]) async -> String? { nil }
    public func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Int64) -> [RefusedPatch] { [] }
    public func publisher(_ id: Int, connected: Bool) {}
    public func prioritize(_ symbols: [String]) async {}
}

/// Whether quotes for a symbol can be had, for the HTTP API's 404 and 503 and the stream's error messages.
public enum SymbolAvailability: Equatable, Sendable {
    case available
    /// No provider knows the instrument.
    case unknown
    /// Known, but no provider can serve it now (disconnected, not entitled, out of lines).
    case unavailable(String)
}
