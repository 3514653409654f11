import Foundation
import Testing
import TickhubCore
@testable import Store

@Suite("Alert rules in the store")
struct AlertStoreTests {
    static let btcAbove = AlertDraft(
        symbol: "BTC", condition: "above", level: 90_000, cooldownSeconds: 60,
        targets: [.webhook(url: "https://example.com/hook"), .telegram(chatId: "-1001234")])

    @Test func rulesAreKeptAcrossReopening() async throws {
        let directory = TemporaryDirectory()
        let clock = TestClock()
        let made: [AlertRule]
        do {
            let store = try openStore(directory.file(), clock: clock)
            let first = try await store.insertAlert(Self.btcAbove)
            clock.advance(by: 1_000)
            let second = try await store.insertAlert(
                AlertDraft(symbol: "aapl", condition: "changePercent", level: -2.5, reference: "creation",
                           cooldownSeconds: 0, expiresAt: clock.now + 86_400_000, allowDelayed: true),
                currentPrice: 187.5)
            made = [first, second]
        }
        #expect(made[0].createdAt == 1_700_000_000_000)
        #expect(made[1].symbol == "AAPL")
        #expect(made[1].referencePrice == 187.5)
        #expect(made[0].id != made[1].id && !made[0].id.isEmpty)

        let reopened = try openStore(directory.file())
        #expect(try await reopened.alerts() == made)
        #expect(try await reopened.alert(id: made[1].id) == made[1])
        #expect(try await reopened.alert(id: "missing") == nil)
        #expect(try await reopened.integrityCheck() == ["ok"])
    }

    @Test func targetsAreStoredAsJSONText() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let rule = try await store.insertAlert(Self.btcAbove)
        let text = try await store.read { db in
            try String.fetchOne(db, sql: "SELECT targets FROM alertRule WHERE id = ?", arguments: [rule.id])
        }
        let parsed = try JSONSerialization.jsonObject(with: Data((text ?? "").utf8)) as? [[String: String]]
        #expect(parsed == [["type": "webhook", "url": "https://example.com/hook"], ["type": "telegram", "chatId": "-1001234"]])
    }

    @Test func deletingRemovesTheRuleAndAMissingOneIsNamed() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let rule = try await store.insertAlert(Self.btcAbove)
        try await store.deleteAlert(id: rule.id)
        #expect(try await store.alerts().isEmpty)
        let error = await storeError { try await store.deleteAlert(id: rule.id) }
        #expect(error == .alertNotFound(id: rule.id))
        #expect(error?.description == "no alert with id \(rule.id)")
    }

    @Test func anInvalidDraftIsRefusedAndNothingWritten() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        var draft = Self.btcAbove
        draft.targets = [.webhook(url: "ftp://example.com")]
        let error = await storeError { try await store.insertAlert(draft) }
        #expect(error == .invalidAlert(.targetURLInvalid("ftp://example.com")))
        #expect(error?.description.hasPrefix("invalid alert: targets: ") == true)
        draft = Self.btcAbove
        draft.expiresAt = 1_000
        // The store's clock is the machine's: the refusal names the moment it judged at, not one read afterwards.
        let expired = await storeError { try await store.insertAlert(draft) }
        guard case let .invalidAlert(.expiryInPast(expiresAt: 1_000, now: judgedAt))? = expired else {
            Issue.record("expected an expiry in the past, got \(String(describing: expired))")
            return
        }
        #expect(judgedAt > 1_000 && judgedAt <= store.now)
        #expect(try await store.alerts().isEmpty)
    }

    @Test func aCorruptRowIsRefusedClearly() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let good = try await store.insertAlert(Self.btcAbove)
        try await store.write { db in
            try db.execute(sql: """
                INSERT INTO alertRule (id, symbol, condition, level, reference, cooldownSeconds, allowDelayed, targets, createdAt)
                VALUES ('bad1', 'MSFT', 'above', 400, 'previousClose', 60, 0, '{not json', 1)
                """)
        }
        let expected = StoreError.corruptAlert(id: "bad1", detail: "targets are not a JSON list of webhook or telegram targets")
        #expect(await storeError { try await store.alerts() } == expected)
        #expect(await storeError { try await store.alert(id: "bad1") } == expected)
        #expect(expected.description.contains("bad1") && expected.description.contains("Delete it"))
        #expect(try await store.alert(id: good.id) == good)
        // Deleting the bad row is the way out.
        try await store.deleteAlert(id: "bad1")
        #expect(try await store.alerts() == [good])
    }

    @Test func theSchemaRefusesRowsTheEvaluatorCouldNotUse() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        for values in [
            "('x', 'MSFT', 'sideways', 1, 'previousClose', 0, 0, '[]', 1)",
            "('x', 'MSFT', 'above', 1, 'yesterday', 0, 0, '[]', 1)",
            "('x', 'MSFT', 'above', 1, 'previousClose', -1, 0, '[]', 1)",
            "('x', '', 'above', 1, 'previousClose', 0, 0, '[]', 1)",
        ] {
            let error = await storeError {
                try await store.write { db in
                    try db.execute(sql: """
                        INSERT INTO alertRule (id, symbol, condition, level, reference, cooldownSeconds, allowDelayed, targets, createdAt)
                        VALUES \(values)
                        """)
                }
            }
            #expect(error != nil, "\(values)")
        }
        #expect(try await store.alerts().isEmpty)
    }
}
