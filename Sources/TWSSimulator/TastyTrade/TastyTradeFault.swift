/// Faults of the simulated TastyTrade, injected in process or on the simulator's control port
/// (`POST /tastytrade/fault/<name>`).
public enum TastyTradeFault: Sendable, Equatable {
    /// Every access token issued so far expires now: REST answers 401 until the client refreshes, and the account
    /// streamer sessions on those tokens are dropped (within a second).
    case expireTokens
    /// The personal grant is revoked: refreshing answers 401 `invalid_grant`, and the access tokens issued from it
    /// stop working, until `restoreGrant`.
    case revokeGrant
    case restoreGrant
    /// The next `count` REST requests (token refreshes included) answer 429.
    case tooManyRequests(count: Int)
    /// Every account streamer connection is closed; new ones are accepted.
    case dropStreamers
    /// The quote tokens issued so far are refused: DXLink sockets authorized with one get `UNAUTHORIZED` and no
    /// more data until they authorize with a new token from `/api-quote-tokens`.
    case dxLinkUnauthorized
    /// Every DXLink socket is closed; new ones are accepted.
    case dropDXLink

    /// Parses a control path (`/tastytrade/fault/<name>`); nil for an unknown one.
    public static func parse(path: String, query: [String: String]) -> TastyTradeFault? {
        switch path {
        case "/tastytrade/fault/expire-tokens": return .expireTokens
        case "/tastytrade/fault/revoke-grant": return .revokeGrant
        case "/tastytrade/fault/restore-grant": return .restoreGrant
        case "/tastytrade/fault/too-many-requests":
            guard let text = query["count"] else { return .tooManyRequests(count: 1) }
            guard let count = Int(text), count > 0 else { return nil }
            return .tooManyRequests(count: count)
        case "/tastytrade/fault/drop-streamers": return .dropStreamers
        case "/tastytrade/fault/dxlink-unauthorized": return .dxLinkUnauthorized
        case "/tastytrade/fault/drop-dxlink": return .dropDXLink
        default: return nil
        }
    }
}
