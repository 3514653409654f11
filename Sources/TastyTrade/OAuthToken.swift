import TickhubCore

/// The answer of `POST /oauth/token`: plain OAuth JSON, not wrapped in `data`.
public struct OAuthToken: Equatable, Sendable {
    public var accessToken: String
    /// "Bearer".
    public var tokenType: String
    /// Seconds the access token lives (about 900).
    public var expiresIn: Double
    public var idToken: String?

    public init(accessToken: String, tokenType: String = "Bearer", expiresIn: Double, idToken: String? = nil) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.idToken = idToken
    }

    public init(json: [UInt8]) throws(TastyTradeFormatError) {
        let body = try TastyJSON.parse(json, what: "token")
        guard let object = body.object else { throw TastyTradeFormatError("token: expected an object, got \(TastyJSON.kind(body))") }
        guard let accessToken = TastyJSON.text(object["access_token"]) else {
            throw TastyTradeFormatError("token: no \"access_token\" (keys: \(body.keyList))")
        }
        // Absent, the documented life (15 minutes) is assumed, as the SDKs do; garbled, the answer is refused.
        var expiresIn = Self.documentedLife
        if let written = object["expires_in"], written != .null {
            guard let seconds = TastyJSON.decimal(written), seconds > 0 else {
                throw TastyTradeFormatError("token: \"expires_in\" is not a positive number of seconds")
            }
            expiresIn = seconds
        }
        self.init(
            accessToken: accessToken, tokenType: TastyJSON.text(object["token_type"]) ?? "Bearer", expiresIn: expiresIn,
            idToken: TastyJSON.text(object["id_token"]))
    }

    /// An access token's life in seconds, as TastyTrade documents it.
    public static let documentedLife: Double = 900

    /// The `Authorization` header's value.
    public var authorization: String { "\(tokenType) \(accessToken)" }

    public var json: [UInt8] {
        var text = "{\"access_token\":\(TastyJSON.quoted(accessToken)),\"token_type\":\(TastyJSON.quoted(tokenType)),"
            + "\"expires_in\":\(TastyJSON.number(expiresIn))"
        if let idToken { text += ",\"id_token\":\(TastyJSON.quoted(idToken))" }
        return Array((text + "}").utf8)
    }
}

/// A token printed by mistake (a log line, an error's text) shows that it is one, never what it is.
extension OAuthToken: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "OAuthToken(\(tokenType), \(expiresIn) s, redacted)" }
    public var debugDescription: String { description }
}
