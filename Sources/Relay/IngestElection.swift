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
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger
    /// The lease's clock: monotonic, so a wall-clock step never renews late or steps down early.
    private static let origin = ContinuousClock.now

    /// Binds (or creates) both buckets; throws when NATS cannot be reached for it.
    public init(connection: NATSConnection, subjects: RelaySubjects, name: String, ttl: Duration,
                logger: Logger = Logger(label: "tickhub.relay.election")) async throws(NATSError) {
        let ttlMilliseconds = ttl.wholeMilliseconds
        let lease = LeaderLease(ttlMilliseconds: ttlMilliseconds)
        callTimeout = .microseconds(lease.renewEvery)
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

    /// Runs the election until `stop`; `changes` is awaited before the loop goes on, so a `stepDown` has stopped the
    /// providers before this process may try to lead again.
    public func start(_ changes: @escaping @Sendable (Change) async -> Void) {
        let task = Task { [self] in await run(changes) }
        loop.withLock { $0 = task }
    }

    /// Ends the loop; a leader deletes its key so that a standby takes over at once rather than a TTL later.
    /// Returns true when it was leading.
    @discardableResult
    public func stop() async -> Bool {
        let task = loop.withLock { loop in defer { loop = nil }; return loop }
        task?.cancel()
        await task?.value
        guard lease.withLock({ $0.resign() }) else { return false }
        do { try await leaderBucket.delete(RelaySubjects.leaderKey) } catch {
            logger.warning("could not give up the leader's key (a standby takes over when it expires): \(error)")
        }
        return true
    }

    /// Stops renewing without resigning: what a process that dies does. For tests of the takeover.
    package func abandon() async {
        let task = loop.withLock { loop in defer { loop = nil }; return loop }
        task?.cancel()
        await task?.value
    }

    private func run(_ changes: @Sendable (Change) async -> Void) async {
        while !Task.isCancelled {
            let now = Self.now()
            let action = lease.withLock { $0.next(at: now) }
            switch action {
            case let .lead(epoch):
                logger.notice("leading the feed in epoch \(epoch)")
                await changes(.lead(epoch: epoch))
            case let .stepDown(reason):
                logger.warning("no longer leading the feed: \(reason)")
                await changes(.stepDown(reason: reason))
            case let .wait(until):
                let micros = max(until.microseconds - now.microseconds, 1_000)
                try? await Task.sleep(for: .microseconds(micros))
            default:
                let answer = await perform(action)
                if Task.isCancelled { return }
                lease.withLock { $0.apply(answer, sentAt: now) }
            }
        }
    }

    /// One store call for the lease, raced against the call timeout: a call stuck in the C client (a hung server)
    /// is not waited for past it, so the lease is judged again in time. A call that finishes later is ignored.
    private func perform(_ action: LeaderLease.Action) async -> LeaderLease.Answer {
        let timeout = callTimeout + .milliseconds(50)
        return await withCheckedContinuation { (continuation: CheckedContinuation<LeaderLease.Answer, Never>) in
            let once = Mutex<CheckedContinuation<LeaderLease.Answer, Never>?>(continuation)
            let finish: @Sendable (LeaderLease.Answer) -> Void = { answer in
                once.withLock { waiting in defer { waiting = nil }; return waiting }?.resume(returning: answer)
            }
            Task { [self] in finish(await call(action)) }
            Task {
                try? await Task.sleep(for: timeout)
                finish(.failed("no answer from NATS in \(timeout)"))
            }
        }
    }

    private func call(_ action: LeaderLease.Action) async -> LeaderLease.Answer {
        do {
            switch action {
            case .create:
                return .written(revision: try await leaderBucket.create(RelaySubjects.leaderKey, name))
            case let .renew(revision):
                return .written(revision: try await leaderBucket.update(RelaySubjects.leaderKey, name, lastRevision: revision))
            case .readEpoch:
                guard let entry = try await epochBucket.get(RelaySubjects.epochKey) else { return .epoch(nil, revision: nil) }
                guard let value = UInt64(String(decoding: entry.value, as: UTF8.self)) else {
                    // Not a number: counted from zero again, still with the revision check.
                    logger.error("the epoch key holds \(entry.value.count) bytes that are not a number; counting from 0")
                    return .epoch(0, revision: entry.revision)
                }
                return .epoch(value, revision: entry.revision)
            case let .writeEpoch(epoch, lastRevision):
                let value = Array(String(epoch).utf8)
                if let lastRevision {
                    return .written(revision: try await epochBucket.update(RelaySubjects.epochKey, value, lastRevision: lastRevision))
                }
                return .written(revision: try await epochBucket.create(RelaySubjects.epochKey, value))
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
