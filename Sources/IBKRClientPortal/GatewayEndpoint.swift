/// The gateway endpoints Tickhub calls, each under its own pacing budget from IBKR's table (anything not in the
/// table is held to the global 10 a second alone).
public enum GatewayEndpoint: String, Sendable, Hashable, CaseIterable {
    case authStatus = "/iserver/auth/status"
    case ssodhInit = "/iserver/auth/ssodh/init"
    case tickle = "/tickle"
    case iserverAccounts = "/iserver/accounts"
    case secdefSearch = "/iserver/secdef/search"
    case secdefInfo = "/iserver/secdef/info"
    case currencyPairs = "/iserver/currency/pairs"
    case snapshot = "/iserver/marketdata/snapshot"
    case portfolioAccounts = "/portfolio/accounts"
    case positions = "/portfolio/{accountId}/positions/{page}"
    case summary = "/portfolio/{accountId}/summary"
    case partitionedPnL = "/iserver/account/pnl/partitioned"
    /// IBKR allows 5 of these at once (`GatewayHistory` keeps to it) beneath the global 10 a second.
    case marketDataHistory = "/iserver/marketdata/history"

    /// Seconds between two calls at the least (IBKR: `/tickle` 1 a second, `/portfolio/accounts` and
    /// `/iserver/account/pnl/partitioned` one per 5 seconds, the snapshot 10 a second); nil when only the global
    /// limit applies.
    public var minimumSpacing: Double? {
        switch self {
        case .tickle: 1
        case .portfolioAccounts, .partitionedPnL: 5
        case .snapshot: 0.1
        default: nil
        }
    }
}
