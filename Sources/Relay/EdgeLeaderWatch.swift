import Dispatch
import Logging
import NATSLink
import ScaleOut
import Synchronization

/// Hears the leader's lease being renewed: every write to the leader's key is a message on the bucket's subject
/// (`$KV.<bucket>.leader`) that any client may subscribe to, so the renewals every third of the TTL are the
/// leader's heartbeat. A leader that died stops renewing, and one that cannot renew steps down two thirds of the
/// TTL after its last renewal; so when none is heard for that long (or the key is deleted: the leader resigned),
/// the edge cannot vouch for its quotes, and says so at once instead of showing the dead leader's last quotes as
/// live until a successor's arrive. A write after that (a new leader's key) asks the edge to renew at once.
final class EdgeLeaderWatch: Sendable {
    private struct State {
        var lastHeard: ContinuousClock.Instant?
        var silent = false
        var subscription: NATSSubscription?
        var watchdog: Task<Void, Never>?
    }

    private let connection: NATSConnection
    private let subject: String
    private let ttl: Duration
    private let state = Mutex(State())
    private let silent: @Sendable (String) -> Void
    private let heard: @Sendable () -> Void

    /// `silent` when the lease goes unrenewed (or is given up); `heard` on the first renewal after that.
    init(connection: NATSConnection, subjects: RelaySubjects, ttl: Duration, silent: @escaping @Sendable (String) -> Void,
         heard: @escaping @Sendable () -> Void) {
        self.connection = connection
        subject = "$KV.\(subjects.leaderBucket).\(RelaySubjects.leaderKey)"
        self.ttl = ttl
        self.silent = silent
        self.heard = heard
    }

    /// How long without a renewal before the leader is taken for gone: the leader's own limit, and a margin for
    /// the renewal's trip.
    var patience: Duration { ttl * 2 / 3 + .milliseconds(250) }

    func start() throws(NATSError) {
        let subscription = try connection.subscribe(subject) { [self] message in
            let operation = message.headers["KV-Operation"]
            if operation == "DEL" || operation == "PURGE" {
                goneSilent("the leading ingest gave up the lead")
            } else {
                renewed()
            }
        }
        let watchdog = Task { [self] in await watch() }
        state.withLock {
            $0.subscription = subscription
            $0.watchdog = watchdog
        }
    }

    func stop() {
        let (subscription, watchdog) = state.withLock { state in
            defer {
                state.subscription = nil
                state.watchdog = nil
            }
            return (state.subscription, state.watchdog)
        }
        subscription?.unsubscribe()
        watchdog?.cancel()
    }

    /// Forgets what was heard (NATS was lost: renewals may have been missed without the leader missing any).
    func reset() {
        state.withLock {
            $0.lastHeard = nil
            $0.silent = false
        }
    }

    private func renewed() {
        let wasSilent = state.withLock { state in
            defer {
                state.lastHeard = .now
                state.silent = false
            }
            return state.silent
        }
        if wasSilent { heard() }
    }

    private func goneSilent(_ reason: String) {
        let first = state.withLock { state in
            defer { state.silent = true }
            return !state.silent
        }
        if first { silent(reason) }
    }

    /// Checks every sixth of the TTL; judges only once a renewal has been heard (until then the renewals of the
    /// interest say whether anyone leads).
    private func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: ttl / 6)
            let overdue = state.withLock { state -> Bool in
                guard !state.silent, let last = state.lastHeard else { return false }
                return ContinuousClock.now - last > patience
            }
            if overdue, connection.isConnected { goneSilent("the leader's lease has not been renewed for \(Int(patience / .milliseconds(1))) ms") }
        }
    }
}
