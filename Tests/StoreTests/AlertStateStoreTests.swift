import Foundation
import Testing
import TickhubCore
@testable import Store

@Suite("Alert rules' state and deliveries in the store")
struct AlertStateStoreTests {
    @Test func memoriesAreKeptAcrossReopeningAndGoWithTheirRule() async throws {
        let directory = TemporaryDirectory()
        let rule: AlertRule
        do {
            let store = try openStore(directory.file())
            rule = try await store.insertAlert(AlertDraft(symbol: "BTC", condition: "crosses", level: 90_000))
            let memory = AlertMemory(armed: false, side: .above, needsBand: true, lastFiredAt: 1_700_000_000_123, base: nil)
            // A rule deleted meanwhile is skipped, not an error.
            try await store.saveAlertMemories([rule.id: memory, "gone": AlertMemory()])
            #expect(try await store.alertMemories() == [rule.id: memory])
        }
        let reopened = try openStore(directory.file())
        #expect(try await reopened.alertMemories()[rule.id]?.lastFiredAt == 1_700_000_000_123)
        try await reopened.deleteAlert(id: rule.id)
        #expect(try await reopened.alertMemories().isEmpty)
    }

    @Test func deliveriesKeepEveryAttemptNewestFirstAndArePruned() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let fired = AlertFired(id: "r1", symbol: "AAPL", condition: .above, level: 200, price: 201.5, time: 1_700_000_000_000)
        let first = try await store.beginAlertDelivery(fired, targetType: "webhook", target: "https://example.com/hook")
        try await store.recordAlertAttempt(.init(attempt: 1, at: 1, delivered: false, status: 500, detail: "HTTP 500", durationMs: 3),
                                           delivery: first, state: .pending)
        try await store.recordAlertAttempt(.init(attempt: 2, at: 2, delivered: true, status: 200, detail: "HTTP 200", durationMs: 2),
                                           delivery: first, state: .delivered)
        let second = try await store.beginAlertDelivery(fired, targetType: "telegram", target: "-100")
        let listed = try await store.alertDeliveries()
        #expect(listed.map(\.id) == [second, first])
        #expect(listed[1].state == .delivered && listed[1].attempts.map(\.status) == [500, 200] && listed[1].fired == fired)
        #expect(listed[0].state == .pending && listed[0].attempts.isEmpty)
        #expect(try await store.alertDeliveries(alertId: "other").isEmpty)
        // A restart finds the second still pending: it is failed, the delivered one left as it was.
        #expect(try await store.failInterruptedAlertDeliveries() == 1)
        #expect(try await store.alertDeliveries().map(\.state) == [.failed, .delivered])
        #expect(try await store.pruneAlertDeliveries(keeping: 1) == 1)
        #expect(try await store.alertDeliveries().map(\.id) == [second])
        #expect(try await store.integrityCheck() == ["ok"])
    }
}
