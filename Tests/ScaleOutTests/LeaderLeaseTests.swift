import Testing
import TickhubCore

@testable import ScaleOut

/// The election's decisions against a key-value store simulated here as NATS's behaves: `leader` lives a TTL after
/// its last write, a create fails while it exists, an update needs the revision last written; `epoch` lives for ever.
@Suite struct LeaderLeaseTests {
    static let ttl: Int64 = 3_000  // ms, nats.leaderSeconds's default

    /// The buckets, on the store's clock (µs).
    final class Store {
        var leader: (holder: String, revision: UInt64, writtenAt: Int64)?
        var epoch: (value: UInt64, revision: UInt64)?
        var revision: UInt64 = 0
        let ttl = LeaderLeaseTests.ttl * 1_000

        func live(at now: Int64) -> (holder: String, revision: UInt64, writtenAt: Int64)? {
            guard let leader, now < leader.writtenAt + ttl else { return nil }
            return leader
        }

        /// What the store answers `name`'s action at `now`.
        func answer(_ action: LeaderLease.Action, from name: String, at now: Int64) -> LeaderLease.Answer? {
            switch action {
            case .create:
                guard live(at: now) == nil else { return .refused }
                revision += 1
                leader = (name, revision, now)
                return .written(revision: revision)
            case let .renew(last):
                guard let held = live(at: now), held.revision == last else { return .refused }
                revision += 1
                leader = (name, revision, now)
                return .written(revision: revision)
            case .readEpoch:
                return .epoch(epoch?.value, revision: epoch?.revision)
            case let .writeEpoch(value, last):
                guard epoch?.revision == last else { return .refused }
                revision += 1
                epoch = (value, revision)
                return .written(revision: revision)
            case .lead, .stepDown, .wait: return nil
            }
        }
    }

    func at(_ ms: Int64) -> Timestamp { Timestamp(microseconds: ms * 1_000) }

    /// Runs the lease's actions that need no waiting, answering each from the store; the role changes it told.
    @discardableResult
    func run(_ lease: inout LeaderLease, _ name: String, _ store: Store, at ms: Int64, reachable: Bool = true) -> [LeaderLease.Action] {
        var told: [LeaderLease.Action] = []
        for _ in 0..<20 {
            let action = lease.next(at: at(ms))
            switch action {
            case .wait: return told
            case .lead, .stepDown: told.append(action)
            default:
                if reachable, let answer = store.answer(action, from: name, at: ms * 1_000) {
                    lease.apply(answer, sentAt: at(ms))
                } else {
                    lease.apply(.failed("no answer"), sentAt: at(ms))
                }
            }
        }
        Issue.record("the lease kept asking without waiting")
        return told
    }

    @Test func theFirstToCreateLeadsInTheNextEpochAndRenewsEveryThirdOfTheTTL() {
        let store = Store()
        var a = LeaderLease(ttlMilliseconds: Self.ttl)
        var b = LeaderLease(ttlMilliseconds: Self.ttl)
        do { let got = run(&a, "a", store, at: 0); #expect(got == [.lead(epoch: 1)]) }
        do { let got = run(&b, "b", store, at: 0); #expect(got == [], "a second leader while the first holds the lease") }
        #expect(a.role == .leading(revision: 1, epoch: 1) && b.role == .following)
        do { let got = a.next(at: at(500)); #expect(got == .wait(until: at(1_000)), "renewal due at a third of the TTL") }
        do { let got = b.next(at: at(500)); #expect(got == .wait(until: at(1_000))) }
        for ms in stride(from: 1_000 as Int64, through: 30_000, by: 1_000) {
            do { let got = run(&a, "a", store, at: ms); #expect(got == []) }
            do { let got = run(&b, "b", store, at: ms); #expect(got == []) }
        }
        #expect(a.isLeading && !b.isLeading && store.live(at: 30_000_000)?.holder == "a")
    }

    /// The leader dies: its key expires a TTL after its last renewal, and the standby is in within a third more, in
    /// a newer epoch.
    @Test func aStandbyTakesOverWithinFourThirdsOfTheTTLOfTheLeadersLastRenewal() {
        let store = Store()
        var a = LeaderLease(ttlMilliseconds: Self.ttl)
        var b = LeaderLease(ttlMilliseconds: Self.ttl)
        run(&a, "a", store, at: 0)
        run(&b, "b", store, at: 0)
        var ms: Int64 = 0
        var tookOver: Int64?
        while ms < 20_000 {
            ms += 100
            if ms <= 5_000 { run(&a, "a", store, at: ms) }  // a dies after 5 s
            if run(&b, "b", store, at: ms) == [.lead(epoch: 2)] { tookOver = ms }
        }
        let lastRenewal: Int64 = 5_000
        #expect(tookOver != nil && tookOver! >= lastRenewal + Self.ttl && tookOver! <= lastRenewal + Self.ttl * 4 / 3)
        #expect(store.epoch?.value == 2)
    }

    /// Cut off from the store, a leader stops its providers by itself before its key can expire: by then no standby
    /// can have taken the lease.
    @Test func aLeaderThatCannotRenewStepsDownBeforeItsKeyCanExpire() {
        let store = Store()
        var a = LeaderLease(ttlMilliseconds: Self.ttl)
        run(&a, "a", store, at: 0)
        run(&a, "a", store, at: 1_000)
        var steppedDown: Int64?
        for ms in stride(from: 1_100 as Int64, through: 3_900, by: 100) {
            if run(&a, "a", store, at: ms, reachable: false) == [.stepDown(reason: "the lease could not be renewed for 2000 ms")] {
                steppedDown = ms
            }
        }
        #expect(steppedDown == 3_000, "stepped down at \(String(describing: steppedDown))")
        #expect(store.live(at: 3_000 * 1_000) != nil, "the key had already expired: a standby could have led meanwhile")
        // Back in reach after its key expired: it follows, and leads again only through a new create, in a new epoch.
        do { let got = run(&a, "a", store, at: 4_000); #expect(got == [.lead(epoch: 2)]) }
    }

    @Test func aRenewalRefusedStepsDownAtOnce() {
        let store = Store()
        var a = LeaderLease(ttlMilliseconds: Self.ttl)
        run(&a, "a", store, at: 0)
        store.leader = ("b", 99, 900_000)  // someone else's key (a's expired unseen)
        do { let got = run(&a, "a", store, at: 1_000); #expect(got == [.stepDown(reason: "the lease was taken or expired")]) }
        #expect(a.role == .following)
        do { let got = a.next(at: at(1_100)); #expect(got == .wait(until: at(2_000))) }
    }

    /// Another leader bumped the epoch between the read and the write: it is read again, never shared.
    @Test func anEpochWrittenMeanwhileIsReadAgainNotShared() {
        let store = Store()
        store.epoch = (4, 50)
        var a = LeaderLease(ttlMilliseconds: Self.ttl)
        do { let got = a.next(at: at(0)); #expect(got == .create) }
        a.apply(store.answer(.create, from: "a", at: 0)!, sentAt: at(0))
        do { let got = a.next(at: at(0)); #expect(got == .readEpoch) }
        a.apply(store.answer(.readEpoch, from: "a", at: 0)!, sentAt: at(0))
        store.epoch = (5, 51)
        do { let got = a.next(at: at(0)); #expect(got == .writeEpoch(5, lastRevision: 50)) }
        a.apply(store.answer(.writeEpoch(5, lastRevision: 50), from: "a", at: 0)!, sentAt: at(0))
        do { let got = run(&a, "a", store, at: 0); #expect(got == [.lead(epoch: 6)]) }
        #expect(store.epoch?.value == 6)
    }

    /// Two processes, random outages of either's link and deaths and restarts, over a simulated hour: never two
    /// leaders at once (each as it sees itself, from its `lead` to its `stepDown`), epochs only go up, and whenever
    /// one is reachable and alive for long enough, someone leads.
    @Test func neverTwoLeadersAtOnceWhateverFails() {
        var random = SeededGenerator(seed: 18)
        let store = Store()
        var leases = [LeaderLease(ttlMilliseconds: Self.ttl), LeaderLease(ttlMilliseconds: Self.ttl)]
        var leading = [false, false]
        var reachable = [true, true]
        var alive = [true, true]
        var epochs: [UInt64] = []
        var leaderless: Int64 = 0
        var longestLeaderless: Int64 = 0
        for ms in stride(from: 0 as Int64, to: 3_600_000, by: 50) {
            for i in 0..<2 {
                if random.next() % 400 == 0 { reachable[i].toggle() }
                if random.next() % 2_000 == 0 {
                    alive[i].toggle()
                    if !alive[i] { leading[i] = false }  // a dead process's providers die with it
                    else { leases[i] = LeaderLease(ttlMilliseconds: Self.ttl) }
                }
                guard alive[i] else { continue }
                for change in run(&leases[i], "p\(i)", store, at: ms, reachable: reachable[i]) {
                    switch change {
                    case let .lead(epoch):
                        leading[i] = true
                        epochs.append(epoch)
                    case .stepDown: leading[i] = false
                    default: break
                    }
                }
            }
            #expect(!(leading[0] && leading[1]), "two leaders at \(ms) ms")
            if leading[0] && leading[1] { return }
            let someoneCould = (0..<2).contains { alive[$0] && reachable[$0] }
            leaderless = leading.contains(true) || !someoneCould ? 0 : leaderless + 50
            longestLeaderless = max(longestLeaderless, leaderless)
        }
        #expect(epochs == epochs.sorted() && Set(epochs).count == epochs.count, "epochs \(epochs)")
        #expect(epochs.count > 10, "too few takeovers to mean anything: \(epochs.count)")
        // The longest a reachable process waits: the dead or cut-off leader's key living out its TTL, then a third.
        #expect(longestLeaderless <= Self.ttl * 4 / 3 + 100, "leaderless for \(longestLeaderless) ms")
    }
}
