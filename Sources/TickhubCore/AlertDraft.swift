/// An alert rule as a user gives it, before validation: condition and reference as text, so what the API received
/// is checked here and refused with the field at fault.
public struct AlertDraft: Sendable, Equatable {
    public var symbol: String
    public var condition: String
    public var level: Double
    public var reference: String?
    public var cooldownSeconds: Int
    public var expiresAt: Int64?
    public var allowDelayed: Bool
    public var targets: [AlertTarget]

    public init(
        symbol: String, condition: String, level: Double, reference: String? = nil, cooldownSeconds: Int = 60,
        expiresAt: Int64? = nil, allowDelayed: Bool = false, targets: [AlertTarget] = []
    ) {
        self.symbol = symbol
        self.condition = condition
        self.level = level
        self.reference = reference
        self.cooldownSeconds = cooldownSeconds
        self.expiresAt = expiresAt
        self.allowDelayed = allowDelayed
        self.targets = targets
    }

    /// The draft checked and made a rule with `id`, created at `now` (ms since the epoch), with the symbol's price
    /// then (the base of a `changePercent` rule measured from creation). Reports the first problem.
    public func validated(id: String, now: Int64, currentPrice: Double? = nil) throws(AlertValidationError) -> AlertRule {
        let instrument: Instrument
        do { instrument = try SymbolGrammar.parse(symbol) } catch { throw .invalidSymbol(error) }
        guard let condition = AlertCondition(rawValue: condition) else { throw .unknownCondition(condition) }
        let reference: AlertReference
        if let text = self.reference {
            guard let parsed = AlertReference(rawValue: text) else { throw .unknownReference(text) }
            reference = parsed
        } else {
            reference = .previousClose
        }
        guard level.isFinite else { throw .levelNotFinite("\(level)") }
        // A price level may be 0 or negative: some futures and spreads trade there.
        if condition == .changePercent {
            guard level != 0 else { throw .changePercentZero }
            guard level > -100 else { throw .changePercentBeyondTotalLoss("\(level)") }
        }
        guard cooldownSeconds >= 0 else { throw .cooldownNegative(cooldownSeconds) }
        for target in targets {
            switch target {
            case let .webhook(url):
                guard Self.isWebURL(url) else { throw .targetURLInvalid(url) }
            case let .telegram(chatId):
                guard !chatId.allSatisfy(\.isWhitespace) else { throw .targetChatIdEmpty }
            }
        }
        if let expiresAt, expiresAt <= now { throw .expiryInPast(expiresAt: expiresAt, now: now) }
        let base = currentPrice.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        return AlertRule(
            id: id, symbol: instrument.symbol, condition: condition, level: level, reference: reference,
            referencePrice: condition == .changePercent && reference == .creation ? base : nil,
            cooldownSeconds: cooldownSeconds, expiresAt: expiresAt, allowDelayed: allowDelayed, targets: targets,
            createdAt: now)
    }

    /// `http://host…` or `https://host…`, scheme in any case, with a non-empty host and no whitespace.
    static func isWebURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            rest = lowered.dropFirst(8)
        } else if lowered.hasPrefix("http://") {
            rest = lowered.dropFirst(7)
        } else {
            return false
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostName = host.split(separator: "@").last.map { $0.prefix { $0 != ":" } } ?? ""
        return !hostName.isEmpty && !text.contains(where: \.isWhitespace)
    }
}
