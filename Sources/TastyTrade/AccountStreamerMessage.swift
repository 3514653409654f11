import TickhubCore

/// What the account streamer sends: acknowledgements and refusals of the client's actions, and notifications
/// (`CurrentPosition`, `AccountBalance`, `Order`, …) carrying the full object, possibly several in a `results` batch.
public enum AccountStreamerMessage: Equatable, Sendable {
    /// `{"status":"ok","action":"connect","web-socket-session-id":"…","request-id":2}`.
    case ack(action: String, requestID: Int64?, sessionID: String?)
    /// `{"status":"error","action":"heartbeat","message":"connect-not-completed"}`.
    case refused(action: String, message: String)
    /// `{"type":"CurrentPosition","data":{…},"timestamp":1688595114405}`: `data` as it came, for `TastyPosition(object:)`
    /// or `TastyBalance(object:)` to read.
    case notification(type: String, data: JSONValue, timestamp: Int64?)

    /// The messages of one text frame (a `results` batch gives one each).
    public static func decode(_ text: [UInt8]) throws(TastyTradeFormatError) -> [AccountStreamerMessage] {
        let body = try TastyJSON.parse(text, what: "streamer message")
        if let results = body["results"] {
            guard let items = results.array else {
                throw TastyTradeFormatError("streamer message: \"results\" is \(TastyJSON.kind(results)), not an array")
            }
            var messages: [AccountStreamerMessage] = []
            for (index, item) in items.enumerated() {
                do {
                    messages.append(try decode(item))
                } catch {
                    throw TastyTradeFormatError("streamer message: results[\(index)]: \(error.message)")
                }
            }
            return messages
        }
        return [try decode(body)]
    }

    public static func decode(_ text: String) throws(TastyTradeFormatError) -> [AccountStreamerMessage] {
        try decode(Array(text.utf8))
    }

    static func decode(_ item: JSONValue) throws(TastyTradeFormatError) -> AccountStreamerMessage {
        guard let object = item.object else { throw TastyTradeFormatError("expected an object, got \(TastyJSON.kind(item))") }
        if let type = TastyJSON.text(object["type"]) {
            guard let data = object["data"] else { throw TastyTradeFormatError("notification \(type): no \"data\"") }
            return .notification(type: type, data: data, timestamp: TastyJSON.integer(object["timestamp"]))
        }
        if let status = TastyJSON.text(object["status"]) {
            let action = TastyJSON.text(object["action"]) ?? ""
            switch status {
            case "ok":
                return .ack(
                    action: action, requestID: TastyJSON.integer(object["request-id"]),
                    sessionID: TastyJSON.text(object["web-socket-session-id"]))
            case "error":
                return .refused(action: action, message: TastyJSON.text(object["message"]) ?? "refused without a message")
            default:
                throw TastyTradeFormatError("status \(TastyJSON.quoted(String(status.prefix(40)))) is neither ok nor error")
            }
        }
        throw TastyTradeFormatError("neither a notification (\"type\") nor an answer (\"status\"); keys: \(item.keyList)")
    }

    /// The message as the streamer writes it.
    public var json: String {
        switch self {
        case let .ack(action, requestID, sessionID):
            var text = "{\"status\":\"ok\",\"action\":\(TastyJSON.quoted(action))"
            if let sessionID { text += ",\"web-socket-session-id\":\(TastyJSON.quoted(sessionID))" }
            if let requestID { text += ",\"request-id\":\(requestID)" }
            return text + "}"
        case let .refused(action, message):
            return "{\"status\":\"error\",\"action\":\(TastyJSON.quoted(action)),\"message\":\(TastyJSON.quoted(message))}"
        case let .notification(type, data, timestamp):
            var text = "{\"type\":\(TastyJSON.quoted(type)),\"data\":\(TastyJSON.render(data))"
            if let timestamp { text += ",\"timestamp\":\(timestamp)" }
            return text + "}"
        }
    }

    /// Several messages in one frame, as the streamer batches them.
    public static func batchJSON(_ messages: [AccountStreamerMessage]) -> String {
        "{\"results\":[" + messages.map(\.json).joined(separator: ",") + "]}"
    }

    /// A notification whose data is already JSON text (a position's or balance's `json`), so the simulator does not
    /// parse what it just wrote.
    public static func notificationJSON(type: String, dataJSON: String, timestamp: Int64?) -> String {
        var text = "{\"type\":\(TastyJSON.quoted(type)),\"data\":\(dataJSON)"
        if let timestamp { text += ",\"timestamp\":\(timestamp)" }
        return text + "}"
    }
}

/// What the client sends the account streamer: `connect` with the accounts, `heartbeat`, and the like, each with the
/// `auth-token` and a `request-id`.
public struct AccountStreamerRequest: Equatable, Sendable {
    public var action: String
    /// The accounts of `connect`; nil for actions without a value.
    public var value: [String]?
    public var authToken: String
    public var requestID: Int64

    public init(action: String, value: [String]? = nil, authToken: String, requestID: Int64) {
        self.action = action
        self.value = value
        self.authToken = authToken
        self.requestID = requestID
    }

    public static func connect(accounts: [String], authToken: String, requestID: Int64) -> AccountStreamerRequest {
        AccountStreamerRequest(action: "connect", value: accounts, authToken: authToken, requestID: requestID)
    }

    public static func heartbeat(authToken: String, requestID: Int64) -> AccountStreamerRequest {
        AccountStreamerRequest(action: "heartbeat", authToken: authToken, requestID: requestID)
    }

    public var json: String {
        var text = "{\"action\":\(TastyJSON.quoted(action))"
        if let value { text += ",\"value\":[" + value.map { TastyJSON.quoted($0) }.joined(separator: ",") + "]" }
        return text + ",\"auth-token\":\(TastyJSON.quoted(authToken)),\"request-id\":\(requestID)}"
    }

    /// A request as the streamer reads it (the simulator's side).
    public init(json: [UInt8]) throws(TastyTradeFormatError) {
        let body = try TastyJSON.parse(json, what: "streamer request")
        guard let object = body.object else { throw TastyTradeFormatError("streamer request: expected an object, got \(TastyJSON.kind(body))") }
        guard let action = TastyJSON.text(object["action"]) else { throw TastyTradeFormatError("streamer request: no \"action\"") }
        guard let authToken = TastyJSON.text(object["auth-token"]) else {
            throw TastyTradeFormatError("streamer request \(action): no \"auth-token\"")
        }
        var value: [String]?
        if case let .string(account)? = object["value"] {
            // One account may come as a plain string (the JS SDK sends it so).
            value = [account]
        } else if let written = object["value"], written != .null {
            guard let items = written.array else { throw TastyTradeFormatError("streamer request \(action): \"value\" is not an array") }
            value = []
            for item in items {
                guard let account = TastyJSON.text(item) else {
                    throw TastyTradeFormatError("streamer request \(action): \"value\" holds \(TastyJSON.kind(item)), not account numbers")
                }
                value?.append(account)
            }
        }
        self.init(action: action, value: value, authToken: authToken, requestID: TastyJSON.integer(object["request-id"]) ?? 0)
    }
}
