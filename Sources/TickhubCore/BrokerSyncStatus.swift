/// Where a broker whose positions are synced from its API (TastyTrade) stands, as `/api/health`, `/api/brokers` and
/// the dashboard's positions panel show it: positions shown while the sync is not `live` may be out of date.
public struct BrokerSyncStatus: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Signing in, or reaching the broker again after a loss.
        case connecting
        /// Signed in; positions and balances being fetched.
        case syncing
        /// Fetched, and kept current from the broker's stream.
        case live
        /// Stopped by something a person must fix (a revoked grant) or failing until it heals; `detail` says which.
        case error
        /// Not configured (no credentials) or stopped.
        case off
    }

    /// The broker's name as positions carry it (`tastytrade`).
    public var broker: String
    public var state: State
    /// What went wrong, or what the user must do; nil when nothing needs saying.
    public var detail: String?
    /// The accounts synced.
    public var accounts: [String]
    /// When positions were last fetched whole or moved by the stream, ms since the epoch.
    public var lastSyncAt: Int64?

    public init(broker: String, state: State, detail: String? = nil, accounts: [String] = [], lastSyncAt: Int64? = nil) {
        self.broker = broker
        self.state = state
        self.detail = detail
        self.accounts = accounts
        self.lastSyncAt = lastSyncAt
    }
}
