import Testing
import TickhubCore
@testable import Store

@Suite("P&L snapshots")
struct SnapshotTests {
    @Test func byTimeRangeAndScope() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let scopes: [PnLScope] = [.total, .broker("ibkr"), .account(broker: "ibkr", accountId: "DU123")]
        for minute in 0..<10 {
            let at = Int64(minute) * 60_000
            try await store.recordSnapshots(scopes.map {
                PnLSnapshot(takenAt: at, scope: $0, marketValue: 1000 + Double(minute), unrealizedPnl: Double(minute), dailyPnl: -Double(minute))
            })
        }

        let total = try await store.snapshots(from: 120_000, to: 300_000, scope: .total)
        #expect(total.map(\.takenAt) == [120_000, 180_000, 240_000, 300_000])
        #expect(total.allSatisfy { $0.scope == .total && $0.id != nil })
        #expect(total.map(\.marketValue) == [1002, 1003, 1004, 1005])

        let account = try await store.snapshots(from: 0, to: 60_000, scope: .account(broker: "ibkr", accountId: "DU123"))
        #expect(account.map(\.takenAt) == [0, 60_000] && account.allSatisfy { $0.scope.text == "account:ibkr:DU123" })

        #expect(try await store.snapshots(from: 540_000, to: .max).count == 3)
        #expect(try await store.snapshots(from: 600_000, to: .max).isEmpty)
        #expect(try await store.snapshots(from: 0, to: .max, scope: .broker("tastytrade")).isEmpty)

        #expect(try await store.deleteSnapshots(before: 300_000) == 15)
        #expect(try await store.snapshots(from: 0, to: .max).first?.takenAt == 300_000)

        let stored = try await store.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM pnlSnapshot ORDER BY scope") }
        #expect(stored == ["account:ibkr:DU123", "broker:ibkr", "total"])
    }

    @Test func scopeText() {
        for scope: PnLScope in [.total, .broker("ibkr"), .account(broker: "ibkr", accountId: "DU123"), .account(broker: "x", accountId: "a:b")] {
            #expect(PnLScope(text: scope.text) == scope)
        }
        for text in ["", "Total", "broker:", "broker:a:b", "account:ibkr", "account::DU1", "account:ibkr:", "pnl:x"] {
            #expect(PnLScope(text: text) == nil, "\(text)")
        }
    }

    @Test func nonFiniteAmountsAreRefusedAndNothingIsWritten() async throws {
        let directory = TemporaryDirectory()
        let store = try openStore(directory.file())
        let good = PnLSnapshot(takenAt: 1, scope: .total, marketValue: 1, unrealizedPnl: 1, dailyPnl: 1)
        let bad = PnLSnapshot(takenAt: 1, scope: .broker("ibkr"), marketValue: .nan, unrealizedPnl: 1, dailyPnl: 1)
        guard case .invalidSnapshot = await storeError({ try await store.recordSnapshots([good, bad]) }) else {
            Issue.record("expected invalidSnapshot")
            return
        }
        #expect(try await store.snapshots(from: 0, to: .max).isEmpty)
    }
}
