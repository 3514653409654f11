import Foundation
import Store
import Testing
import TickhubCore

@testable import Alerts

/// The desk over a real SQLite file: firing on the quote path, the rules' memory across a restart, their symbols
/// followed.
@Suite struct AlertDeskTests {
    @Test func aCrossingFiresExactlyOnceWhileTheSeededWalkDithersOnTheLevel() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let rule = try await desk.create(AlertDraft(symbol: "AAPL", condition: "crosses", level: 100, cooldownSeconds: 0), current: nil)
        // The sentinel: its firing, published after everything observed before it, closes each look.
        _ = try await desk.create(AlertDraft(symbol: "IBM", condition: "above", level: 1, cooldownSeconds: 0), current: nil)
        var walk = SeededGenerator(seed: 16)
        // Below the level, then across it, then dithering on it by less than the re-arm band (0.1 on 100).
        for _ in 0..<300 { desk.observe(AlertRig.quote("AAPL", 99.5 + max(-0.3, min(0.3, walk.normal() * 0.1)))) }
        desk.observe(AlertRig.quote("AAPL", 100.3))
        for _ in 0..<300 { desk.observe(AlertRig.quote("AAPL", 100 + max(-0.09, min(0.09, walk.normal() * 0.05)))) }
        rig.time.advance(seconds: 1)
        desk.observe(AlertRig.quote("IBM", 2))
        let fired = try await rig.firings(until: "IBM")
        #expect(fired.map(\.price) == [100.3])
        #expect(fired.first?.id == rule.id && fired.first?.condition == .crosses && fired.first?.level == 100)

        // A real move back and up again are two more crossings.
        desk.observe(AlertRig.quote("AAPL", 99.8))
        desk.observe(AlertRig.quote("AAPL", 100.2))
        desk.observe(AlertRig.quote("IBM", 0.5))
        desk.observe(AlertRig.quote("IBM", 2))
        #expect(try await rig.firings(until: "IBM").map(\.price) == [99.8, 100.2])
        await desk.stop()
        await rig.shutdown()
    }

    @Test func aStaleQuoteNeverFiresAndADelayedOneOnlyWhenTheRuleAllowsIt() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let strict = try await desk.create(AlertDraft(symbol: "MSFT", condition: "above", level: 400), current: AlertRig.quote("MSFT", 410, stale: true))
        let lenient = try await desk.create(AlertDraft(symbol: "MSFT", condition: "above", level: 400, allowDelayed: true), current: nil)
        for price in [405.0, 420, 430] { desk.observe(AlertRig.quote("MSFT", price, stale: true)) }
        desk.observe(AlertRig.quote("MSFT", 421, delayed: true))
        #expect(try await rig.nextFiring().id == lenient.id)
        desk.observe(AlertRig.quote("MSFT", 422))
        let fresh = try await rig.nextFiring()
        #expect(fresh.id == strict.id && fresh.price == 422)
        await desk.stop()
        await rig.shutdown()
    }

    @Test func aRestartKeepsTheRulesAndTheirMemorySoNothingFiresAgainInsideTheCooldown() async throws {
        let rig = AlertRig()
        let first = try await rig.desk()
        let rule = try await first.create(AlertDraft(symbol: "NVDA", condition: "above", level: 150, cooldownSeconds: 3_600), current: nil)
        first.observe(AlertRig.quote("NVDA", 151))
        let fired = try await rig.nextFiring()
        #expect(fired.id == rule.id)
        await first.stop()

        rig.time.advance(seconds: 60)
        let second = try await rig.desk()
        #expect(rig.followed.last == ["NVDA"])
        let listed = try await second.rules()
        #expect(listed.map(\.rule) == [rule])
        #expect(listed.first?.memory?.lastFiredAt == fired.time && listed.first?.memory?.armed == false)
        // Still above: no firing. Back below the band re-arms it, but the cooldown holds the next one back.
        second.observe(AlertRig.quote("NVDA", 152))
        second.observe(AlertRig.quote("NVDA", 140))
        second.observe(AlertRig.quote("NVDA", 155))
        _ = try await second.create(AlertDraft(symbol: "IBM", condition: "above", level: 1), current: nil)
        second.observe(AlertRig.quote("IBM", 2))
        #expect(try await rig.firings(until: "IBM").isEmpty)
        // After the cooldown it fires again, from the re-armed state the restart kept.
        rig.time.advance(seconds: 3_600)
        second.observe(AlertRig.quote("NVDA", 156))
        #expect(try await rig.nextFiring().price == 156)
        await second.stop()
        await rig.shutdown()
    }

    @Test func deletingARuleStopsItAndReleasesItsSymbol() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let rule = try await desk.create(AlertDraft(symbol: "tsla", condition: "below", level: 200), current: nil)
        #expect(rig.followed.last == ["TSLA"])
        #expect(try await desk.delete(id: rule.id))
        #expect(try await desk.delete(id: rule.id) == false)
        #expect(rig.followed.last == [])
        #expect(desk.rulesInForce == 0)
        await desk.stop()
        await rig.shutdown()
    }
}
