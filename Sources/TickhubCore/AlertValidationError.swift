/// Why an alert rule was refused. `field` names the offending field as the API's JSON spells it.
public enum AlertValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSymbol(SymbolGrammar.Rejection)
    /// Not one of `above`, `below`, `crosses`, `changePercent`; the text is the value as given.
    case unknownCondition(String)
    /// Not `previousClose` or `creation`.
    case unknownReference(String)
    /// NaN or infinite; the text is the value as given.
    case levelNotFinite(String)
    /// A `changePercent` rule of 0 % would fire on every update.
    case changePercentZero
    /// A fall of 100 % or more cannot happen to a positive price; the text is the value as given.
    case changePercentBeyondTotalLoss(String)
    case cooldownNegative(Int)
    /// Neither `http` nor `https`, or no host; the text is the URL as given.
    case targetURLInvalid(String)
    case targetChatIdEmpty
    /// The expiry is at or before the rule's creation.
    case expiryInPast(expiresAt: Int64, now: Int64)

    public var field: String {
        switch self {
        case .invalidSymbol: "symbol"
        case .unknownCondition: "condition"
        case .unknownReference: "reference"
        case .levelNotFinite, .changePercentZero, .changePercentBeyondTotalLoss: "level"
        case .cooldownNegative: "cooldownSeconds"
        case .targetURLInvalid, .targetChatIdEmpty: "targets"
        case .expiryInPast: "expiresAt"
        }
    }

    public var description: String {
        switch self {
        case let .invalidSymbol(rejection): "\(rejection)"
        case let .unknownCondition(text):
            "\"\(text)\" is not a condition; use one of \(AlertCondition.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .unknownReference(text):
            "\"\(text)\" is not a reference; use one of \(AlertReference.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .levelNotFinite(text): "level \(text) is not a finite number"
        case .changePercentZero: "level is 0; a changePercent rule needs a non-zero percentage (negative for a fall)"
        case let .changePercentBeyondTotalLoss(text):
            "level \(text) % is a fall a price cannot make; a changePercent fall must be above -100"
        case let .cooldownNegative(seconds): "cooldownSeconds \(seconds) is negative; use 0 or more"
        case let .targetURLInvalid(text): "\"\(text)\" is not a webhook URL; use an http:// or https:// URL with a host"
        case .targetChatIdEmpty: "a telegram target needs a non-empty chatId"
        case let .expiryInPast(expiresAt, now):
            "expiresAt \(expiresAt) is not in the future (now is \(now), milliseconds since the epoch)"
        }
    }
}
