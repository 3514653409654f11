import TickhubCore

/// The election of the one ingest that connects upstream, as pure decisions: the loop that runs it asks `next(at:)`
/// what to do, does it against NATS's key-value store, and tells the answer back with `apply(_:sentAt:)`. Time is
/// given, never read, so every path is tested without waiting.
///
/// The lease is key `leader` of a bucket whose entries live `ttl`: whoever creates it leads (a create fails when
/// the key exists), and keeps it by updating it with the revision it last wrote every third of the TTL. A leader
/// then takes the next epoch, a counter in a bucket without TTL bumped with a revision check, so two leaders never
/// share an epoch. A leader whose renewals have not been confirmed for two thirds of the TTL steps down by itself
/// (it stops its providers) before the key can expire on the server and a standby take over: counted from when the
/// last confirmed renewal was *sent*, which is before the server stamped it. A renewal refused (the key gone or
/// rewritten) steps down at once.
public struct LeaderLease: Sendable {
    /// What the loop does next.
    public enum Action: Equatable, Sendable {
        /// Create key `leader` with this process's name.
        case create
        /// Read key `epoch` of the epochs bucket.
        case readEpoch
        /// Write `epoch` to key `epoch`: create it when `lastRevision` is nil, else update with that revision.
        case writeEpoch(UInt64, lastRevision: UInt64?)
        /// Update key `leader` with this process's name and the revision last written.
        case renew(lastRevision: UInt64)
        /// This process leads now, in this epoch: seed the sequences, start the providers.
        case lead(epoch: UInt64)
        /// This process leads no more: stop the providers at once.
        case stepDown(reason: String)
        /// Nothing until then (or until an answer comes).
        case wait(until: Timestamp)
    }

    /// The store's answer to the last action.
    public enum Answer: Equatable, Sendable {
        /// The create or renewal was written, at this revision.
        case written(revision: UInt64)
        /// The create found the key there (another leads), or the update found another revision or no key.
        case refused
        /// The epoch key's value and revision; nil for both when it was never written.
        case epoch(UInt64?, revision: UInt64?)
        /// No answer (NATS down, a timeout): the lease may still be held, or not.
        case failed(String)
    }

    public enum Role: Equatable, Sendable {
        case following
        /// Holds the key, taking the next epoch.
        case claiming(revision: UInt64)
        case leading(revision: UInt64, epoch: UInt64)
    }

    public private(set) var role: Role = .following
    /// Microseconds the key lives without a renewal.
    public let ttl: Int64
    /// When the key was last written by this process, as sent (leading and claiming).
    private var confirmedAt = Timestamp(microseconds: 0)
    /// Until when nothing is asked (a retry's delay, the next renewal).
    private var idleUntil = Timestamp(microseconds: 0)
    /// The epoch read, to be bumped.
    private var epochRead: (value: UInt64?, revision: UInt64?)?
    /// A change of role not yet told to the loop.
    private var announce: Action?
    private var asked: Action?

    /// `ttl` as `nats.leaderSeconds` gives it.
    public init(ttlMilliseconds: Int64) {
        ttl = max(ttlMilliseconds, 300) * 1_000
    }

    public var isLeading: Bool { if case .leading = role { true } else { false } }

    /// How often a lease is renewed, and a follower tries to take it.
    public var renewEvery: Int64 { ttl / 3 }

    /// A leader steps down after this long without a confirmed renewal.
    public var stepDownAfter: Int64 { ttl * 2 / 3 }

    /// When this process must have stepped down by, unless a renewal is confirmed first; nil when it holds nothing.
    public var stepDownBy: Timestamp? { role == .following ? nil : confirmedAt.adding(stepDownAfter) }

    public mutating func next(at now: Timestamp) -> Action {
        if announce == nil, role != .following, now.microseconds - confirmedAt.microseconds >= stepDownAfter {
            stepDown("the lease could not be renewed for \(stepDownAfter / 1_000) ms", retryAt: now)
        }
        if let told = announce {
            announce = nil
            return told
        }
        switch role {
        case .following:
            guard now >= idleUntil else { return .wait(until: idleUntil) }
            return ask(.create)
        case let .claiming(revision):
            if let read = epochRead { return ask(.writeEpoch((read.value ?? 0) + 1, lastRevision: read.revision)) }
            // The epoch is taken before anything else: a claim that has to wait renews the lease meanwhile.
            if now >= confirmedAt.adding(renewEvery) { return ask(.renew(lastRevision: revision)) }
            return ask(.readEpoch)
        case let .leading(revision, _):
            let due = max(confirmedAt.adding(renewEvery), idleUntil)
            guard now >= due else { return .wait(until: min(due, confirmedAt.adding(stepDownAfter))) }
            return ask(.renew(lastRevision: revision))
        }
    }

    /// The store's answer to the action `next` gave last, which was sent at `sentAt`.
    public mutating func apply(_ answer: Answer, sentAt: Timestamp) {
        guard let action = asked else { return }
        asked = nil
        switch (action, answer) {
        case let (.create, .written(revision)):
            role = .claiming(revision: revision)
            confirmedAt = sentAt
            epochRead = nil
        case (.create, _):
            // Someone leads, or the store cannot say: ask again in a third of the TTL (the key expires a TTL after
            // its leader's last renewal, so a standby is in within 4/3 TTL of its leader's death).
            idleUntil = sentAt.adding(renewEvery)
        case let (.readEpoch, .epoch(value, revision)):
            epochRead = (value, revision)
        case let (.writeEpoch(epoch, _), .written(_)):
            guard case let .claiming(revision) = role else { return }
            role = .leading(revision: revision, epoch: epoch)
            epochRead = nil
            idleUntil = sentAt
            announce = .lead(epoch: epoch)
        case (.writeEpoch, .refused):
            // Another leader bumped it in between (one whose lease this process's create outlived): read it again.
            epochRead = nil
        case let (.renew, .written(revision)):
            switch role {
            case .claiming: role = .claiming(revision: revision)
            case let .leading(_, epoch): role = .leading(revision: revision, epoch: epoch)
            case .following: return
            }
            confirmedAt = sentAt
            idleUntil = sentAt
        case (.renew, .refused):
            stepDown("the lease was taken or expired", retryAt: sentAt)
        case (_, .failed):
            // Tried again shortly; a leader steps down by itself when its last confirmed renewal gets too old.
            idleUntil = sentAt.adding(max(ttl / 10, 50_000))
        default:
            break
        }
    }

    /// Leaving (the process stops): the loop deletes the key so a standby takes over at once, not a TTL later.
    public mutating func resign() -> Bool {
        guard role != .following else { return false }
        role = .following
        epochRead = nil
        announce = nil
        asked = nil
        return true
    }

    private mutating func ask(_ action: Action) -> Action {
        asked = action
        return action
    }

    private mutating func stepDown(_ reason: String, retryAt time: Timestamp) {
        let wasLeading = isLeading
        role = .following
        epochRead = nil
        // Its own key may still be there until its TTL: the next create would only be refused before then.
        idleUntil = time.adding(renewEvery)
        announce = wasLeading ? .stepDown(reason: reason) : nil
    }
}

extension Timestamp {
    fileprivate func adding(_ microseconds: Int64) -> Timestamp { Timestamp(microseconds: self.microseconds + microseconds) }
}
