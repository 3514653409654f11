import Foundation
import GRDB
import TickhubCore

/// An alert rule as a row of table `alertRule`: condition and reference as their API spellings, targets as JSON text.
public struct AlertRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "alertRule"

    public var id: String
    public var symbol: String
    public var condition: String
    public var level: Double
    public var reference: String
    public var referencePrice: Double?
    public var cooldownSeconds: Int
    public var expiresAt: Int64?
    public var allowDelayed: Bool
    /// `[{"type":"webhook","url":…}, {"type":"telegram","chatId":…}]`.
    public var targets: String
    public var createdAt: Int64

    public init(_ rule: AlertRule) {
        id = rule.id
        symbol = rule.symbol
        condition = rule.condition.rawValue
        level = rule.level
        reference = rule.reference.rawValue
        referencePrice = rule.referencePrice
        cooldownSeconds = rule.cooldownSeconds
        expiresAt = rule.expiresAt
        allowDelayed = rule.allowDelayed
        // Encoding an array of two-case enums of strings cannot fail.
        targets = (try? JSONEncoder().encode(rule.targets)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        createdAt = rule.createdAt
    }

    /// The rule the row holds, or `.corruptAlert` naming what cannot be read: a row is never half-understood.
    public func rule() throws(StoreError) -> AlertRule {
        guard let condition = AlertCondition(rawValue: condition) else {
            throw .corruptAlert(id: id, detail: "unknown condition \"\(condition)\"")
        }
        guard let reference = AlertReference(rawValue: reference) else {
            throw .corruptAlert(id: id, detail: "unknown reference \"\(reference)\"")
        }
        guard level.isFinite else { throw .corruptAlert(id: id, detail: "level \(level) is not a finite number") }
        let decoded: [AlertTarget]
        do {
            decoded = try JSONDecoder().decode([AlertTarget].self, from: Data(targets.utf8))
        } catch {
            throw .corruptAlert(id: id, detail: "targets are not a JSON list of webhook or telegram targets")
        }
        return AlertRule(
            id: id, symbol: symbol, condition: condition, level: level, reference: reference,
            referencePrice: referencePrice, cooldownSeconds: cooldownSeconds, expiresAt: expiresAt,
            allowDelayed: allowDelayed, targets: decoded, createdAt: createdAt)
    }
}
