import TickhubCore

/// A DXLink message, either way: the session (SETUP, AUTH_STATE, AUTH, KEEPALIVE, ERROR on channel 0), channels
/// (CHANNEL_REQUEST, CHANNEL_OPENED, CHANNEL_CANCEL, CHANNEL_CLOSED) and the FEED service's (FEED_SETUP, FEED_CONFIG,
/// FEED_SUBSCRIPTION, FEED_DATA). FEED_DATA keeps its `data` as it came: its events are read against the channel's
/// FEED_CONFIG (`DXLinkEvent.decode`), which only the session knows.
public enum DXLinkMessage: Equatable, Sendable {
    case setup(version: String, keepaliveTimeout: Double?, acceptKeepaliveTimeout: Double?)
    /// "AUTHORIZED" or "UNAUTHORIZED".
    case authState(state: String, userID: String?)
    case auth(token: String)
    case channelRequest(channel: Int, service: String, parameters: [String: String])
    case channelOpened(channel: Int, service: String, parameters: [String: String])
    case channelCancel(channel: Int)
    case channelClosed(channel: Int)
    case feedSetup(channel: Int, acceptAggregationPeriod: Double?, acceptDataFormat: String?, acceptEventFields: [String: [String]])
    /// The fields, per event type, in the order COMPACT data gives them: read from here, not from the request.
    case feedConfig(channel: Int, dataFormat: String, aggregationPeriod: Double?, eventFields: [String: [String]])
    case feedSubscription(channel: Int, reset: Bool, add: [DXLinkSubscription], remove: [DXLinkSubscription])
    case feedData(channel: Int, data: [JSONValue])
    case keepalive(channel: Int)
    /// "UNAUTHORIZED", "TIMEOUT", "INVALID_MESSAGE", "BAD_ACTION", "UNSUPPORTED_PROTOCOL", "UNKNOWN".
    case error(channel: Int, error: String, message: String)
    /// A type this vocabulary does not know: ignored, not fatal, as the protocol may grow.
    case unknown(type: String, channel: Int)

    /// The protocol version Tickhub announces in its SETUP.
    public static let version = "0.1-tickhub"

    public static func decode(_ text: String) throws(TastyTradeFormatError) -> DXLinkMessage { try decode(Array(text.utf8)) }

    public static func decode(_ bytes: [UInt8]) throws(TastyTradeFormatError) -> DXLinkMessage {
        let body = try TastyJSON.parse(bytes, what: "DXLink message")
        guard let object = body.object else { throw TastyTradeFormatError("DXLink message: expected an object, got \(TastyJSON.kind(body))") }
        guard let type = TastyJSON.text(object["type"]) else { throw TastyTradeFormatError("DXLink message: no \"type\" (keys: \(body.keyList))") }
        let what = "DXLink \(String(type.prefix(40)))"
        let channel: Int
        switch object["channel"] {
        case nil, .null?: channel = 0
        case let written?:
            guard let number = TastyJSON.integer(written), number >= 0, number <= Int64(Int32.max) else {
                throw TastyTradeFormatError("\(what): \"channel\" is not a channel number")
            }
            channel = Int(number)
        }
        func text(_ key: String) throws(TastyTradeFormatError) -> String {
            guard let value = object[key]?.string else { throw TastyTradeFormatError("\(what): no \"\(key)\" text") }
            return value
        }
        switch type {
        case "SETUP":
            return .setup(
                version: object["version"]?.string ?? "", keepaliveTimeout: TastyJSON.decimal(object["keepaliveTimeout"]),
                acceptKeepaliveTimeout: TastyJSON.decimal(object["acceptKeepaliveTimeout"]))
        case "AUTH_STATE":
            return .authState(state: try text("state"), userID: TastyJSON.text(object["userId"]))
        case "AUTH":
            return .auth(token: try text("token"))
        case "CHANNEL_REQUEST":
            return .channelRequest(channel: channel, service: try text("service"), parameters: try parameters(object["parameters"], what))
        case "CHANNEL_OPENED":
            return .channelOpened(channel: channel, service: object["service"]?.string ?? "", parameters: try parameters(object["parameters"], what))
        case "CHANNEL_CANCEL":
            return .channelCancel(channel: channel)
        case "CHANNEL_CLOSED":
            return .channelClosed(channel: channel)
        case "FEED_SETUP":
            return .feedSetup(
                channel: channel, acceptAggregationPeriod: TastyJSON.decimal(object["acceptAggregationPeriod"]),
                acceptDataFormat: object["acceptDataFormat"]?.string,
                acceptEventFields: try eventFields(object["acceptEventFields"], required: false, what))
        case "FEED_CONFIG":
            return .feedConfig(
                channel: channel, dataFormat: object["dataFormat"]?.string ?? "COMPACT",
                aggregationPeriod: TastyJSON.decimal(object["aggregationPeriod"]),
                eventFields: try eventFields(object["eventFields"], required: false, what))
        case "FEED_SUBSCRIPTION":
            return .feedSubscription(
                channel: channel, reset: TastyJSON.bool(object["reset"]) ?? false,
                add: try subscriptions(object["add"], "add", what), remove: try subscriptions(object["remove"], "remove", what))
        case "FEED_DATA":
            guard let data = object["data"]?.array else { throw TastyTradeFormatError("\(what): \"data\" is not an array") }
            return .feedData(channel: channel, data: data)
        case "KEEPALIVE":
            return .keepalive(channel: channel)
        case "ERROR":
            return .error(channel: channel, error: object["error"]?.string ?? "UNKNOWN", message: object["message"]?.string ?? "")
        default:
            return .unknown(type: type, channel: channel)
        }
    }

    static func parameters(_ value: JSONValue?, _ what: String) throws(TastyTradeFormatError) -> [String: String] {
        guard let value, value != .null else { return [:] }
        guard let members = value.object else { throw TastyTradeFormatError("\(what): \"parameters\" is not an object") }
        // Only text parameters mean anything here (contract, subFormat); others are left out, not refused.
        return members.compactMapValues(\.string)
    }

    static func eventFields(_ value: JSONValue?, required: Bool, _ what: String) throws(TastyTradeFormatError) -> [String: [String]] {
        guard let value, value != .null else {
            if required { throw TastyTradeFormatError("\(what): no \"eventFields\"") }
            return [:]
        }
        guard let members = value.object else { throw TastyTradeFormatError("\(what): event fields are not an object") }
        var fields: [String: [String]] = [:]
        for (type, list) in members {
            guard let names = list.array?.compactMap(\.string), names.count == list.array?.count else {
                throw TastyTradeFormatError("\(what): the fields of \(String(type.prefix(40))) are not a list of names")
            }
            fields[type] = names
        }
        return fields
    }

    static func subscriptions(_ value: JSONValue?, _ key: String, _ what: String) throws(TastyTradeFormatError) -> [DXLinkSubscription] {
        guard let value, value != .null else { return [] }
        guard let items = value.array else { throw TastyTradeFormatError("\(what): \"\(key)\" is not an array") }
        var list: [DXLinkSubscription] = []
        for (index, item) in items.enumerated() {
            guard let type = item["type"]?.string, let symbol = item["symbol"]?.string else {
                throw TastyTradeFormatError("\(what): \(key)[\(index)] lacks a \"type\" or \"symbol\"")
            }
            list.append(DXLinkSubscription(type: type, symbol: symbol))
        }
        return list
    }

    /// The message as DXLink writes it (each side's sends).
    public var json: String {
        let q = TastyJSON.quoted as (String) -> String
        switch self {
        case let .setup(version, keepaliveTimeout, acceptKeepaliveTimeout):
            var text = "{\"type\":\"SETUP\",\"channel\":0,\"version\":\(q(version))"
            if let keepaliveTimeout { text += ",\"keepaliveTimeout\":\(TastyJSON.number(keepaliveTimeout))" }
            if let acceptKeepaliveTimeout { text += ",\"acceptKeepaliveTimeout\":\(TastyJSON.number(acceptKeepaliveTimeout))" }
            return text + "}"
        case let .authState(state, userID):
            return "{\"type\":\"AUTH_STATE\",\"channel\":0,\"state\":\(q(state))" + (userID.map { ",\"userId\":\(q($0))" } ?? "") + "}"
        case let .auth(token):
            return "{\"type\":\"AUTH\",\"channel\":0,\"token\":\(q(token))}"
        case let .channelRequest(channel, service, parameters):
            return "{\"type\":\"CHANNEL_REQUEST\",\"channel\":\(channel),\"service\":\(q(service)),\"parameters\":\(Self.render(parameters))}"
        case let .channelOpened(channel, service, parameters):
            return "{\"type\":\"CHANNEL_OPENED\",\"channel\":\(channel),\"service\":\(q(service)),\"parameters\":\(Self.render(parameters))}"
        case let .channelCancel(channel):
            return "{\"type\":\"CHANNEL_CANCEL\",\"channel\":\(channel)}"
        case let .channelClosed(channel):
            return "{\"type\":\"CHANNEL_CLOSED\",\"channel\":\(channel)}"
        case let .feedSetup(channel, period, format, fields):
            var text = "{\"type\":\"FEED_SETUP\",\"channel\":\(channel)"
            if let period { text += ",\"acceptAggregationPeriod\":\(TastyJSON.number(period))" }
            if let format { text += ",\"acceptDataFormat\":\(q(format))" }
            return text + ",\"acceptEventFields\":\(Self.render(fields))}"
        case let .feedConfig(channel, format, period, fields):
            var text = "{\"type\":\"FEED_CONFIG\",\"channel\":\(channel),\"dataFormat\":\(q(format))"
            if let period { text += ",\"aggregationPeriod\":\(TastyJSON.number(period))" }
            return text + ",\"eventFields\":\(Self.render(fields))}"
        case let .feedSubscription(channel, reset, add, remove):
            func list(_ items: [DXLinkSubscription]) -> String {
                "[" + items.map { "{\"type\":\(q($0.type)),\"symbol\":\(q($0.symbol))}" }.joined(separator: ",") + "]"
            }
            var text = "{\"type\":\"FEED_SUBSCRIPTION\",\"channel\":\(channel)"
            if reset { text += ",\"reset\":true" }
            if !add.isEmpty { text += ",\"add\":\(list(add))" }
            if !remove.isEmpty { text += ",\"remove\":\(list(remove))" }
            return text + "}"
        case let .feedData(channel, data):
            return "{\"type\":\"FEED_DATA\",\"channel\":\(channel),\"data\":\(TastyJSON.render(.array(data)))}"
        case let .keepalive(channel):
            return "{\"type\":\"KEEPALIVE\",\"channel\":\(channel)}"
        case let .error(channel, error, message):
            return "{\"type\":\"ERROR\",\"channel\":\(channel),\"error\":\(q(error)),\"message\":\(q(message))}"
        case let .unknown(type, channel):
            return "{\"type\":\(q(type)),\"channel\":\(channel)}"
        }
    }

    static func render(_ parameters: [String: String]) -> String {
        "{" + parameters.sorted { $0.key < $1.key }.map { "\(TastyJSON.quoted($0.key)):\(TastyJSON.quoted($0.value))" }.joined(separator: ",") + "}"
    }

    static func render(_ fields: [String: [String]]) -> String {
        "{" + fields.sorted { $0.key < $1.key }.map { type, names in
            "\(TastyJSON.quoted(type)):[" + names.map { TastyJSON.quoted($0) }.joined(separator: ",") + "]"
        }.joined(separator: ",") + "}"
    }
}

/// One subscription of FEED_SUBSCRIPTION: an event type for a streamer symbol.
public struct DXLinkSubscription: Hashable, Sendable {
    public var type: String
    public var symbol: String

    public init(type: String, symbol: String) {
        self.type = type
        self.symbol = symbol
    }
}
