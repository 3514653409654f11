import TickhubCore

/// Why a position was refused. `field` names the offending field as the CSV columns spell it.
public enum PositionValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSymbol(SymbolGrammar.Rejection)
    /// Positions hold `STK`, `OPT`, `FUT`, `CASH` or `CRYPTO`.
    case unknownSecurityType(String)
    /// NaN or infinite; the text is the value as given.
    case quantityNotFinite(String)
    case quantityZero
    case averageCostNotFinite(String)
    /// Zero, negative, NaN or infinite.
    case multiplierNotPositive(String)
    /// A three-letter ISO code such as `USD`.
    case invalidCurrency(String)

    /// The CSV column (and JSON field, snake-cased) the error is about.
    public var field: String {
        switch self {
        case .invalidSymbol: "symbol"
        case .unknownSecurityType: "security_type"
        case .quantityNotFinite, .quantityZero: "quantity"
        case .averageCostNotFinite: "average_cost"
        case .multiplierNotPositive: "multiplier"
        case .invalidCurrency: "currency"
        }
    }

    public var description: String {
        switch self {
        case let .invalidSymbol(rejection): "\(rejection)"
        case let .unknownSecurityType(text):
            "\"\(text)\" is not a security type; use one of \(PositionDraft.securityTypes.map(\.rawValue).joined(separator: ", "))"
        case let .quantityNotFinite(text): "quantity \(text) is not a finite number"
        case .quantityZero: "quantity is 0; a position holds a nonzero quantity (negative for short)"
        case let .averageCostNotFinite(text): "average cost \(text) is not a finite number"
        case let .multiplierNotPositive(text):
            "multiplier \(text) must be a number greater than 0 (1 for shares, 100 for US equity options)"
        case let .invalidCurrency(text): "\"\(text)\" is not a currency; use a three-letter code such as USD"
        }
    }
}
