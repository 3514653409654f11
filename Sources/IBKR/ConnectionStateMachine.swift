import TWSProtocol
import TickhubCore

/// The reconnect and resubscribe logic as one explicit state machine: events in, actions out, no I/O.
///
/// Traders lose data to clients that scatter this over flags: no reconnect after the daily restart, no
/// resubscribe after 1101, streams left dead after 1102. Every such path is a transition here, with a test.
public struct ConnectionStateMachine: Sendable {
    public enum Phase: Sendable, Equatable {
        case disconnected, connecting, connected, waitingToRetry
    }

    public enum Event: Sendable, Equatable {
        /// The owner wants a connection (at start, or a "connect" command).
        case start
        /// The owner wants no connection (a "disconnect" command or shutdown).
        case stop
        /// Handshake done and nextValidId received: requests may flow.
        case connected
        /// The socket closed, failed to open, or timed out before it was ready.
        case connectionLost
        case retryDue
        case notice(TWSNotice)
        /// Ticks arrived after a period without them.
        case ticksResumed
    }

    public enum Action: Sendable, Equatable {
        case openConnection
        case closeConnection
        case scheduleRetry(seconds: Double)
        case cancelRetry
        /// Request every market-data, account and P&L subscription again, with fresh request ids.
        case resubscribeAll
        /// Check after a grace period that every stream ticks again; resubscribe the silent ones.
        case verifyResumption
        /// Flag every quote stale and tell consumers.
        case markAllStale
    }

    public private(set) var phase: Phase = .disconnected
    public private(set) var degraded: Set<DegradedReason> = []
    /// Consecutive failed attempts since the last successful connection.
    public private(set) var attempt = 0
    public private(set) var retryDelay = 0.0
    public let backoff: Backoff

    public init(backoff: Backoff = Backoff()) {
        self.backoff = backoff
    }

    public var state: BrokerConnectionState {
        switch phase {
        case .disconnected: .disconnected
        case .connecting: .connecting
        case .waitingToRetry: .reconnecting(attempt: attempt, delaySeconds: retryDelay)
        case .connected: degraded.isEmpty ? .ready : .degraded(degraded)
        }
    }

    /// - Parameter jitter: a uniform random number in [0, 1) for the backoff.
    public mutating func handle(_ event: Event, jitter: Double = 0.5) -> [Action] {
        switch (event, phase) {
        case (.start, .disconnected), (.start, .waitingToRetry), (.retryDue, .waitingToRetry):
            phase = .connecting
            return event == .retryDue ? [.openConnection] : [.cancelRetry, .openConnection]
        case (.start, _), (.retryDue, _):
            return []

        case (.stop, _):
            let wasActive = phase != .disconnected
            phase = .disconnected
            attempt = 0
            degraded = []
            return wasActive ? [.cancelRetry, .closeConnection, .markAllStale] : []

        case (.connected, .connecting):
            phase = .connected
            attempt = 0
            degraded = []
            return [.resubscribeAll]
        case (.connected, _):
            return []

        case (.connectionLost, .connecting), (.connectionLost, .connected):
            attempt += 1
            retryDelay = backoff.delay(attempt: attempt, unit: jitter)
            phase = .waitingToRetry
            degraded = []
            return [.markAllStale, .scheduleRetry(seconds: retryDelay)]
        case (.connectionLost, _):
            return []

        case let (.notice(notice), .connected):
            return handle(notice)
        case (.notice, _):
            return []

        case (.ticksResumed, .connected):
            // Ticks flowing again is the only sign a competing session has ended.
            degraded.remove(.competingSession)
            return []
        case (.ticksResumed, _):
            return []
        }
    }

    private mutating func handle(_ notice: TWSNotice) -> [Action] {
        switch notice {
        case .linkLost:
            degraded.insert(.linkLost)
            return [.markAllStale]
        case let .linkRestored(dataLost):
            degraded.remove(.linkLost)
            return dataLost ? [.resubscribeAll] : [.verifyResumption]
        case .farmBroken:
            degraded.insert(.farmBroken)
            return [.markAllStale]
        case .farmRestored:
            degraded.remove(.farmBroken)
            return []
        case .competingSession:
            let first = degraded.insert(.competingSession).inserted
            return first ? [.markAllStale] : []
        default:
            return []
        }
    }
}
