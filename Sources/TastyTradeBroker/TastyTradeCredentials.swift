/// The OAuth grant Tickhub acts under (the app reads it from the environment alone: `TastyTradeSettings`), never
/// written out: `description` names which parts are set.
public struct TastyTradeCredentials: Sendable, Equatable, CustomStringConvertible {
    public var clientID: String?
    public var clientSecret: String
    public var refreshToken: String

    public init(clientID: String?, clientSecret: String, refreshToken: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
    }

    public var description: String {
        "TastyTrade grant (client id \(clientID == nil ? "not set" : "set"), client secret set, refresh token set)"
    }
}
