/// Where a fired alert is delivered. Encoded as the API spells it: `{"type":"webhook","url":…}` or
/// `{"type":"telegram","chatId":…}`.
public enum AlertTarget: Sendable, Equatable, Hashable, Codable {
    case webhook(url: String)
    case telegram(chatId: String)

    private enum CodingKeys: String, CodingKey { case type, url, chatId }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "webhook": self = .webhook(url: try container.decode(String.self, forKey: .url))
        case "telegram": self = .telegram(chatId: try container.decode(String.self, forKey: .chatId))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "\"\(type)\" is not a target type; use webhook or telegram")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .webhook(url):
            try container.encode("webhook", forKey: .type)
            try container.encode(url, forKey: .url)
        case let .telegram(chatId):
            try container.encode("telegram", forKey: .type)
            try container.encode(chatId, forKey: .chatId)
        }
    }
}
