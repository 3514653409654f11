import TickhubCore

/// The answer of `GET /api-quote-tokens`: what opens a DXLink session (valid about 24 hours).
public struct DXLinkToken: Equatable, Sendable {
    public var token: String
    /// `wss://…`, where DXLink is.
    public var url: String
    /// "api" for real-time; "demo" (the sandbox's, 15 minutes delayed) or a level naming delay makes quotes delayed.
    public var level: String

    public init(token: String, url: String, level: String) {
        self.token = token
        self.url = url
        self.level = level
    }

    public init(json: [UInt8]) throws(TastyTradeFormatError) {
        let data = try TastyJSON.data(TastyJSON.parse(json, what: "quote token"), what: "quote token")
        guard let token = TastyJSON.text(data["token"]) else { throw TastyTradeFormatError("quote token: no \"data.token\"") }
        // The OpenAPI also names a `websocket-url`; the documented answers carry `dxlink-url`.
        guard let url = TastyJSON.text(data["dxlink-url"]) ?? TastyJSON.text(data["websocket-url"]) else {
            throw TastyTradeFormatError("quote token: no \"data.dxlink-url\"")
        }
        guard url.hasPrefix("wss://") || url.hasPrefix("ws://") else {
            throw TastyTradeFormatError("quote token: \"dxlink-url\" \(TastyJSON.quoted(String(url.prefix(80)))) is not a WebSocket URL")
        }
        self.init(token: token, url: url, level: TastyJSON.text(data["level"]) ?? "")
    }

    /// Whether the token's quotes come delayed, as its level says.
    public var isDelayed: Bool {
        let level = level.lowercased()
        return level == "demo" || level.contains("delay")
    }

    public var json: [UInt8] {
        Array(("{\"data\":{\"token\":\(TastyJSON.quoted(token)),\"dxlink-url\":\(TastyJSON.quoted(url)),"
            + "\"level\":\(TastyJSON.quoted(level))},\"context\":\"/api-quote-tokens\"}").utf8)
    }
}

/// A token printed by mistake shows where and at what level it works, never what it is.
extension DXLinkToken: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "DXLinkToken(\(url), level \(level), redacted)" }
    public var debugDescription: String { description }
}
