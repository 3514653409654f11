import Foundation
import TickhubCore

/// A position as a user or a file gives it, before validation: what `insertManual`, `update` and the CSV
/// import accept.
///
/// `averageCost` is per unit (per share; for an option, the premium per share as quoted, not per contract).
/// `multiplier`, `currency` and `securityType` default to what the symbol implies: 100, USD and `OPT` for an
/// OCC option symbol, the quote currency and `CASH` for `EUR.USD`, `CRYPTO` for `BTC`, else 1, USD and `STK`.
public struct PositionDraft: Sendable, Equatable {
    /// The security types a position may have (`IND` cannot be held).
    public static let securityTypes: [SecurityType] = [.stock, .option, .future, .forex, .crypto]

    public var symbol: String
    public var quantity: Double
    public var averageCost: Double
    public var multiplier: Double?
    public var currency: String?
    /// As text (`STK`, `OPT`, `FUT`, `CASH`, `CRYPTO`, any case), so user input is validated here.
    public var securityType: String?

    public init(
        symbol: String, quantity: Double, averageCost: Double, multiplier: Double? = nil, currency: String? = nil,
        securityType: String? = nil
    ) {
        self.symbol = symbol
        self.quantity = quantity
        self.averageCost = averageCost
        self.multiplier = multiplier
        self.currency = currency
        self.securityType = securityType
    }

    /// The draft checked and completed: canonical symbol, defaults filled in. Reports the first problem.
    public func validated() throws(PositionValidationError) -> ValidPosition {
        let instrument: Instrument
        do { instrument = try SymbolGrammar.parse(symbol) } catch { throw .invalidSymbol(error) }

        let type: SecurityType
        if let text = securityType {
            guard let parsed = SecurityType(rawValue: text.uppercased().trimmingCharacters(in: .whitespaces)),
                  Self.securityTypes.contains(parsed)
            else { throw .unknownSecurityType(text) }
            type = parsed
        } else {
            type = instrument.securityType
        }

        guard quantity.isFinite else { throw .quantityNotFinite("\(quantity)") }
        guard quantity != 0 else { throw .quantityZero }
        guard averageCost.isFinite else { throw .averageCostNotFinite("\(averageCost)") }
        let multiplier = self.multiplier ?? instrument.multiplier
        guard multiplier.isFinite, multiplier > 0 else { throw .multiplierNotPositive(Self.format(multiplier)) }

        let currency = (self.currency ?? instrument.currency).uppercased().trimmingCharacters(in: .whitespaces)
        guard currency.count == 3, currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw .invalidCurrency(self.currency ?? "")
        }
        return ValidPosition(
            symbol: instrument.symbol, securityType: type, quantity: quantity, averageCost: averageCost,
            multiplier: multiplier, currency: currency)
    }

    /// A synced position Tickhub cannot value, checked for everything but its symbol, which stays the broker's
    /// (printable, at most 64 characters).
    func validatedUnvalued(reason: String, securityType type: SecurityType) throws(PositionValidationError) -> ValidPosition {
        let trimmed = symbol.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalidSymbol(.empty) }
        guard trimmed.count <= 64 else { throw .invalidSymbol(.tooLong(trimmed.count)) }
        guard trimmed.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { throw .invalidSymbol(.invalidCharacters(trimmed)) }
        guard quantity.isFinite else { throw .quantityNotFinite("\(quantity)") }
        guard quantity != 0 else { throw .quantityZero }
        guard averageCost.isFinite else { throw .averageCostNotFinite("\(averageCost)") }
        let multiplier = self.multiplier ?? 1
        guard multiplier.isFinite, multiplier > 0 else { throw .multiplierNotPositive(Self.format(multiplier)) }
        let currency = (self.currency ?? "USD").uppercased()
        guard currency.count == 3, currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw .invalidCurrency(self.currency ?? "")
        }
        return ValidPosition(symbol: trimmed, securityType: type, quantity: quantity, averageCost: averageCost, multiplier: multiplier,
                             currency: currency, unvaluedReason: reason)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

/// A position that passed validation: what the store writes.
public struct ValidPosition: Sendable, Equatable {
    public var symbol: String
    public var securityType: SecurityType
    public var quantity: Double
    public var averageCost: Double
    public var multiplier: Double
    public var currency: String
    /// Set for a synced position Tickhub cannot value; see `PositionRecord.unvaluedReason`.
    public var unvaluedReason: String? = nil
}
