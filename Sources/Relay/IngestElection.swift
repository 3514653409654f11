import Foundation
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// The loop that runs `LeaderLease` against NATS's key-value store: key `leader` of the leader bucket (a TTL of
/// `nats.leaderSeconds`) is the lease, key `epoch` of the epochs bucket (no TTL) the counter each new leader bumps.
/// It tells the ingest when it leads (`lead`, with the epoch) and when it must stop (`stepDown`), and nothing else.
///
/// Every store call waits at most a third of the TTL, so that the lease's own clock is consulted at least that often:
/// a leader cut off from NATS steps down (two thirds of the TTL after its last confirmed renewal) before its key can
/// expire on the server and a standby start a second IBKR session with the same client id.
public final class IngestElection: Sendable {
    /// What the election tells its owner, in order, one at a time.
    public enum Change: Sendable, Equatable {
        case lead(epoch: UInt64)
        case stepDown(reason: String)
    }

    private let leaderBucket: NATSKeyValue
    private let epochBucket: NATSKeyValue
    private let name: [UInt8]
    private let callTimeout: Duration
    private let lease: Mutex<LeaderLease>
    /// The loop's thread: whether it should go on, what wakes it from a wait, and what it signals when it ends.
    private struct Loop: @unchecked Sendable {
        var running = false
        let wake = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }
    private let loop = Mutex(Loop())
    private let logger: Logger
    /// The lease's clock: monotonic, so a wall-clock step never renews late or steps down early.
    private static let origin = ContinuousClock.now

    /// Binds (or creates) both buckets; throws when NATS cannot be reached for it.
    public init(connection: NATSConnection, subjects: RelaySubjects, name: String, ttl: Duration,
                logger: Logger = Logger(label: "tickhub.relay.election")) async throws(NATSError) {
        let ttlMilliseconds = ttl.wholeMilliseconds
        let lease = LeaderLease(ttlMilliseconds: ttlMilliseconds)
        callTimeout = .microseconds(lease.renewEvery)
        // Each call to either bucket waits at most this long for the server.
        leaderBucket = try await connection.keyValue(subjects.leaderBucket, ttl: ttl, timeout: callTimeout)
        epochBucket = try await connection.keyValue(subjects.epochBucket, ttl: nil, timeout: callTimeout)
        self.name = Array(name.utf8)
        self.lease = Mutex(lease)
        self.logger = logger
    }

    public var isLeading: Bool { lease.withLock { $0.isLeading } }

    /// The epoch this process leads in; nil while it does not lead.
    public var epoch: UInt64? {
        lease.withLock { lease in
            if case let .leading(_, epoch) = lease.role { epoch } else { nil }
        }
    }

    /// Runs the election until `stop`, on a thread of its own: the lease's timing never waits for Swift's
    /// cooperative pool, however busy the hub keeps it. `changes` is awaited before the loop goes on, so a `stepDown`
    /// has stopped the providers before this process may try to lead again.
    public func start(_ changes: @escaping @Sendable (Change) async -> Void) {
        let thread = Thread { [self] in
            run(changes)
            loop.withLock { $0.finished.signal() }
        }
        thread.name = "tickhub.relay.election"
        loop.withLock { $0.running = true }
        thread.start()
    }

    /// Ends the loop; a leader deletes its key so that a standby takes over at once rather than a TTL later.
    /// Returns true when it was leading.
    @discardableResult
    public func stop() async -> Bool {
        await endLoop()
        guard lease.withLock({ $0.resign() }) else { return false }
        do { try await leaderBucket.delete(RelaySubjects.leaderKey) } catch {
            logger.warning("could not give up the leader's key (a standby takes over when it expires): \(error)")
        }
        return true
    }

    /// Stops renewing without resigning: what a process that dies does. For tests of the takeover.
    package func abandon() async {
        await endLoop()
    }

    private func endLoop() async {
        let (wasRunning, finished) = loop.withLock { loop in
            defer { loop.running = false }
            return (loop.running, loop.finished)
        }
        guard wasRunning else { return }
        loop.withLock { $0.wake.signal() }
        // The loop ends within a store call's timeout; waited for off the cooperative pool.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                finished.wait()
                done.resume()
            }
        }
    }

    private var running: Bool { loop.withLock { $0.running } }

    private func run(_ changes: @escaping @Sendable (Change) async -> Void) {
        let wake = loop.withLock { $0.wake }
        while running {
            let now = Self.now()
            let action = lease.withLock { $0.next(at: now) }
            switch action {
            case let .lead(epoch):
                logger.notice("leading the feed in epoch \(epoch)")
                Self.await { await changes(.lead(epoch: epoch)) }
            case let .stepDown(reason):
                logger.warning("no longer leading the feed: \(reason)")
                Self.await { await changes(.stepDown(reason: reason)) }
            case let .wait(until):
                let micros = max(until.microseconds - now.microseconds, 1_000)
                _ = wake.wait(timeout: .now() + .microseconds(Int(micros)))
            default:
                let answer = bounded(action, until: lease.withLock { $0.stepDownBy }, now: now)
                guard running else { return }
                lease.withLock { $0.apply(answer, sentAt: now) }
            }
        }
    }

    /// One store call, waited for at most the call timeout (the buckets' own, and a little more): a call the C
    /// client holds longer (a hung server, its lock held by another writer) is let go, so the lease is judged again
    /// in time; a call that finishes later is ignored.
    /// Never past `deadline` either: a leader whose renewal hangs must still step down on time, not a call's
    /// timeout later (which could be as late as its key's expiry, when a standby may lead).
    private func bounded(_ action: LeaderLease.Action, until deadline: Timestamp?, now: Timestamp) -> LeaderLease.Answer {
        let answer = Mutex<LeaderLease.Answer?>(nil)
        let done = DispatchSemaphore(value: 0)
        // A thread of its own, not a global queue's: a call blocked on a hung server must not hold one of the threads
        // Swift's tasks run on (on Linux they share the global queues' few), or the providers' stop waits for it.
        Thread.detachNewThread { [self] in
            let result = call(action)
            answer.withLock { $0 = result }
            done.signal()
        }
        var limit = callTimeout + .milliseconds(50)
        if let deadline {
            limit = min(limit, .microseconds(max(deadline.microseconds - now.microseconds, 1_000)))
        }
        guard done.wait(timeout: .now() + .microseconds(Int(limit.components.seconds) * 1_000_000 + Int(limit.components.attoseconds / 1_000_000_000_000))) == .success
        else { return .failed("no answer from NATS in \(limit)") }
        return answer.withLock { $0 } ?? .failed("no answer")
    }

    /// Runs async work from the loop's thread and waits for it there.
    private static func await(_ work: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await work()
            done.signal()
        }
        done.wait()
    }

    private func call(_ action: LeaderLease.Action) -> LeaderLease.Answer {
        do {
            switch action {
            case .create:
                return .written(revision: try leaderBucket.create(RelaySubjects.leaderKey, name))
            case let .renew(revision):
                return .written(revision: try leaderBucket.update(RelaySubjects.leaderKey, name, lastRevision: revision))
            case .readEpoch:
                guard let entry = try epochBucket.get(RelaySubjects.epochKey) else { return .epoch(nil, revision: nil) }
                guard let value = UInt64(String(decoding: entry.value, as: UTF8.self)) else {
                    // Not a number: counted from zero again, still with the revision check.
                    logger.error("the epoch key holds \(entry.value.count) bytes that are not a number; counting from 0")
                    return .epoch(0, revision: entry.revision)
                }
                return .epoch(value, revision: entry.revision)
            case let .writeEpoch(epoch, lastRevision):
                let value = Array(String(epoch).utf8)
                if let lastRevision {
                    return .written(revision: try epochBucket.update(RelaySubjects.epochKey, value, lastRevision: lastRevision))
                }
                return .written(revision: try epochBucket.create(RelaySubjects.epochKey, value))
            case .lead, .stepDown, .wait:
                return .failed("not a store call")
            }
        } catch .keyExists, .wrongRevision {
            return .refused
        } catch {
            return .failed(error.description)
        }
    }

    private static func now() -> Timestamp {
        Timestamp(microseconds: (ContinuousClock.now - origin).wholeMicroseconds)
    }
}

extension Duration {
    fileprivate var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    fileprivate var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
