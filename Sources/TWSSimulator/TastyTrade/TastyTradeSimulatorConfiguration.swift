import Foundation

/// How the simulated TastyTrade behaves: where it listens, the demo credentials it accepts, how long its tokens
/// live, and the accounts it holds. Defaults follow TastyTrade: access tokens of 15 minutes, quote tokens of 24
/// hours, DXLink's 60-second keepalive timeout.
public struct TastyTradeSimulatorConfiguration: Sendable {
    /// The OAuth client and personal grant the simulator accepts (the demo's and the tests'). They open nothing
    /// anywhere else.
    public static let demoClientID = "tickhub-sim-client"
    public static let demoClientSecret = "tickhub-sim-secret"
    public static let demoRefreshToken = "tickhub-sim-refresh-token"

    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var clientID = TastyTradeSimulatorConfiguration.demoClientID
    public var clientSecret = TastyTradeSimulatorConfiguration.demoClientSecret
    public var refreshToken = TastyTradeSimulatorConfiguration.demoRefreshToken
    /// Seconds an access token lives (TastyTrade: 900, not extendable).
    public var tokenSeconds = 900.0
    /// Seconds a quote token lives (TastyTrade: 24 hours).
    public var quoteTokenSeconds = 86_400.0
    /// The quote token's level: "api" streams live quotes; a level naming delay tells clients they are delayed.
    public var quoteLevel = "api"
    /// How often DXLink sends what changed (the FEED_CONFIG's aggregation period).
    public var aggregationMilliseconds = 100
    /// Seconds a DXLink socket may stay silent before it is closed with a TIMEOUT error (DXLink's default: 60).
    public var dxLinkTimeoutSeconds = 60.0
    /// Seconds between the simulator's own DXLink KEEPALIVEs.
    public var dxLinkKeepaliveSeconds = 30.0
    /// Seconds an account streamer may go without a heartbeat before it is closed (TastyTrade asks for one every
    /// 2 to 60 seconds).
    public var streamerTimeoutSeconds = 120.0
    public var accounts = TastyTradeSimulatedAccount.standard

    public init() {}
}
