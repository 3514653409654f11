import Foundation
import GRDB
import TickhubCore

extension PositionStore {
    /// Validates `draft` and stores it as a new rule with a fresh id, created now (the store's clock).
    /// `currentPrice` is the symbol's price at creation, the base of a `changePercent` rule measured from creation.
    @discardableResult
    public func insertAlert(_ draft: AlertDraft, currentPrice: Double? = nil) async throws(StoreError) -> AlertRule {
        let rule: AlertRule
        do {
            rule = try draft.validated(id: UUID().uuidString.lowercased(), now: now, currentPrice: currentPrice)
        } catch {
            throw .invalidAlert(error)
        }
        let record = AlertRecord(rule)
        try await write { db in try record.insert(db) }
        return rule
    }

    /// Every stored rule, oldest first. A row that cannot be read fails the whole listing with `.corruptAlert`
    /// naming it, rather than silently dropping an alert the user counts on.
    public func alerts() async throws(StoreError) -> [AlertRule] {
        let records = try await read { db in
            try AlertRecord.order(Column("createdAt"), Column("id")).fetchAll(db)
        }
        return try records.map { record throws(StoreError) in try record.rule() }
    }

    /// The rule with `id`, or nil.
    public func alert(id: String) async throws(StoreError) -> AlertRule? {
        try await read { db in try AlertRecord.fetchOne(db, key: id) }?.rule()
    }

    /// Deletes the rule with `id`; `.alertNotFound` if there is none.
    public func deleteAlert(id: String) async throws(StoreError) {
        let deleted = try await write { db in try AlertRecord.deleteOne(db, key: id) }
        guard deleted else { throw .alertNotFound(id: id) }
    }
}
