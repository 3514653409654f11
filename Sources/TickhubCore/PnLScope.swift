/// What P&L totals sum over, written as text in the history and its API: `total`, `broker:ibkr`, `account:ibkr:DU123`.
public enum PnLScope: Hashable, Sendable, Codable, CustomStringConvertible {
    case total
    case broker(String)
    case account(broker: String, accountId: String)

    public var text: String {
        switch self {
        case .total: "total"
        case let .broker(broker): "broker:\(broker)"
        case let .account(broker, accountId): "account:\(broker):\(accountId)"
        }
    }

    public var description: String { text }

    /// Parses the stored form. The broker never contains ':', so an account id may.
    public init?(text: String) {
        if text == "total" { self = .total; return }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("broker", 2) where !parts[1].isEmpty && !parts[1].contains(":"):
            self = .broker(parts[1])
        case ("account", 3) where !parts[1].isEmpty && !parts[2].isEmpty:
            self = .account(broker: parts[1], accountId: parts[2])
        default:
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let scope = PnLScope(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a P&L scope: \(text)"))
        }
        self = scope
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
