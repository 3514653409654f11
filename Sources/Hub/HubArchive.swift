import TickhubCore

/// What the hub keeps across restarts: P&L totals for the history, and the latest quotes. Each call returns why
/// the write failed, nil when it worked: `/api/health` reports it.
public protocol HubArchive: Sendable {
    /// Totals by scope (`total`, `broker:<name>`, `account:<broker>:<id>`).
    func recordPnL(_ totals: [PnLRecord]) async -> String?
    /// So that a restart can show the last known prices (stale until refreshed).
    func saveQuotes(_ quotes: [Quote]) async -> String?
}
