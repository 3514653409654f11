import Store

/// Why the desk refused or could not do what a route asked.
public enum AlertDeskError: Error, Sendable, CustomStringConvertible {
    case store(StoreError)
    /// As many rules as `alerts.maxRules` allows are in force.
    case tooManyRules(Int)
    /// A Telegram target, with no `TELEGRAM_BOT_TOKEN`.
    case telegramNotConfigured

    public var description: String {
        switch self {
        case let .store(error): "\(error)"
        case let .tooManyRules(limit): "\(limit) alert rules are in force, as many as alerts.maxRules allows; delete one first"
        case .telegramNotConfigured: "a telegram target needs the hub to have a bot token: set TELEGRAM_BOT_TOKEN"
        }
    }
}
