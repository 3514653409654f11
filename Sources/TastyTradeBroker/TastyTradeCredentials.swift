/// The OAuth grant Tickhub acts under: from the environment only (`TASTYTRADE_CLIENT_ID`, `TASTYTRADE_CLIENT_SECRET`,
/// `TASTYTRADE_REFRESH_TOKEN`), never from a file, and never written out: `description` names which are set.
public struct TastyTradeCredentials: Sendable, Equatable, CustomStringConvertible {
    public var clientID: String?
    public var clientSecret: String
    public var refreshToken: String

    public init(clientID: String?, clientSecret: String, refreshToken: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
    }

    /// Nil unless both the secret and the refresh token are set (and not empty): without them the broker stays off.
    public init?(environment: [String: String]) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let secret = value("TASTYTRADE_CLIENT_SECRET"), let refresh = value("TASTYTRADE_REFRESH_TOKEN") else { return nil }
        self.init(clientID: value("TASTYTRADE_CLIENT_ID"), clientSecret: secret, refreshToken: refresh)
    }

    public var description: String {
        "TastyTrade grant (client id \(clientID == nil ? "not set" : "set"), client secret set, refresh token set)"
    }
}
