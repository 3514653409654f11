import IBKR
import TWSProtocol
import Testing
import TickhubCore

/// Every transition of the reconnect and resubscribe state machine: events in, actions out.
@Suite("ConnectionStateMachine")
struct ConnectionStateMachineTests {
    static let backoff = Backoff(initial: 1, cap: 8)

    /// A machine that has connected and is ready.
    static func ready() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(backoff: backoff)
        _ = machine.handle(.start)
        _ = machine.handle(.connected)
        return machine
    }

    /// A machine waiting to retry after one lost connection.
    static func waitingToRetry() -> ConnectionStateMachine {
        var machine = ready()
        _ = machine.handle(.connectionLost, jitter: 0)
        return machine
    }

    /// A machine whose connection attempt is in flight.
    static func connecting() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(backoff: backoff)
        _ = machine.handle(.start)
        return machine
    }

    // MARK: Connecting

    @Test func startsDisconnected() {
        let machine = ConnectionStateMachine(backoff: Self.backoff)
        #expect(machine.phase == .disconnected)
        #expect(machine.state == .disconnected)
        #expect(machine.attempt == 0)
        #expect(!machine.state.isLive)
    }

    @Test func startOpensAConnection() {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        #expect(machine.handle(.start) == [.cancelRetry, .openConnection])
        #expect(machine.phase == .connecting)
        #expect(machine.state == .connecting)
    }

    @Test func connectedBecomesReadyAndResubscribesEverything() {
        var machine = Self.connecting()
        #expect(machine.handle(.connected) == [.resubscribeAll])
        #expect(machine.phase == .connected)
        #expect(machine.state == .ready)
        #expect(machine.state.isLive)
    }

    @Test func startWhileConnectingOrConnectedDoesNothing() {
        var connecting = Self.connecting()
        #expect(connecting.handle(.start) == [])
        #expect(connecting.state == .connecting)
        var ready = Self.ready()
        #expect(ready.handle(.start) == [])
        #expect(ready.state == .ready)
    }

    @Test func connectedOutsideConnectingIsIgnored() {
        var disconnected = ConnectionStateMachine(backoff: Self.backoff)
        #expect(disconnected.handle(.connected) == [])
        #expect(disconnected.state == .disconnected)
        var waiting = Self.waitingToRetry()
        #expect(waiting.handle(.connected) == [])
        #expect(waiting.phase == .waitingToRetry)
        var ready = Self.ready()
        #expect(ready.handle(.connected) == [])
        #expect(ready.state == .ready)
    }

    // MARK: Losing the connection

    @Test func connectionLostWhileReadyMarksStaleAndSchedulesARetry() {
        var machine = Self.ready()
        let actions = machine.handle(.connectionLost, jitter: 0)
        #expect(actions == [.markAllStale, .scheduleRetry(seconds: 0.5)])
        #expect(machine.phase == .waitingToRetry)
        #expect(machine.attempt == 1)
        #expect(machine.state == .reconnecting(attempt: 1, delaySeconds: 0.5))
        #expect(machine.state.name == "reconnecting")
    }

    @Test func connectionLostWhileConnectingCountsAnotherAttempt() {
        var machine = Self.waitingToRetry()
        #expect(machine.handle(.retryDue) == [.openConnection])
        #expect(machine.phase == .connecting)
        let actions = machine.handle(.connectionLost, jitter: 0)
        #expect(actions == [.markAllStale, .scheduleRetry(seconds: 1)])
        #expect(machine.attempt == 2)
        #expect(machine.state == .reconnecting(attempt: 2, delaySeconds: 1))
    }

    @Test func connectionLostClearsDegradedReasons() {
        var machine = Self.ready()
        _ = machine.handle(.notice(.linkLost))
        _ = machine.handle(.notice(.farmBroken))
        _ = machine.handle(.connectionLost, jitter: 0)
        #expect(machine.degraded.isEmpty)
        _ = machine.handle(.retryDue)
        _ = machine.handle(.connected)
        #expect(machine.state == .ready)
    }

    @Test func connectionLostWhenNotConnectedIsIgnored() {
        var disconnected = ConnectionStateMachine(backoff: Self.backoff)
        #expect(disconnected.handle(.connectionLost) == [])
        #expect(disconnected.state == .disconnected)
        var waiting = Self.waitingToRetry()
        #expect(waiting.handle(.connectionLost) == [])
        #expect(waiting.attempt == 1)
    }

    /// Delays double from `initial` and stop at `cap`, whatever the jitter; jitter spreads over the upper half.
    @Test(arguments: [0.0, 0.999])
    func retryDelaysGrowExponentiallyAndAreCapped(jitter: Double) {
        var machine = Self.connecting()
        var delays: [Double] = []
        for _ in 0..<8 {
            let actions = machine.handle(.connectionLost, jitter: jitter)
            guard case let .scheduleRetry(seconds)? = actions.last else {
                Issue.record("no retry scheduled: \(actions)")
                return
            }
            #expect(machine.retryDelay == seconds)
            delays.append(seconds)
            #expect(machine.handle(.retryDue) == [.openConnection])
        }
        // Ceilings 1, 2, 4, 8, 8, ... with initial 1 and cap 8; the delay is in [ceiling / 2, ceiling].
        let ceilings = [1.0, 2, 4, 8, 8, 8, 8, 8]
        for (delay, ceiling) in zip(delays, ceilings) {
            let expected = ceiling / 2 + ceiling / 2 * jitter
            #expect(abs(delay - expected) < 1e-9, "delay \(delay) for ceiling \(ceiling)")
            #expect(delay <= Self.backoff.cap)
        }
        for (earlier, later) in zip(delays, delays.dropFirst()) { #expect(later >= earlier) }
        #expect(machine.attempt == 8)
    }

    @Test func retryDueOpensTheConnection() {
        var machine = Self.waitingToRetry()
        #expect(machine.handle(.retryDue) == [.openConnection])
        #expect(machine.phase == .connecting)
        #expect(machine.state == .connecting)
    }

    @Test func retryDueOutsideWaitingIsIgnored() {
        var disconnected = ConnectionStateMachine(backoff: Self.backoff)
        #expect(disconnected.handle(.retryDue) == [])
        var connecting = Self.connecting()
        #expect(connecting.handle(.retryDue) == [])
        var ready = Self.ready()
        #expect(ready.handle(.retryDue) == [])
        #expect(ready.state == .ready)
    }

    @Test func startWhileWaitingConnectsNowAndCancelsTheTimer() {
        var machine = Self.waitingToRetry()
        #expect(machine.handle(.start) == [.cancelRetry, .openConnection])
        #expect(machine.phase == .connecting)
    }

    @Test func connectedResetsTheAttemptCounter() {
        var machine = Self.connecting()
        for _ in 0..<4 {
            _ = machine.handle(.connectionLost, jitter: 0)
            _ = machine.handle(.retryDue)
        }
        #expect(machine.attempt == 4)
        _ = machine.handle(.connected)
        #expect(machine.attempt == 0)
        // The next loss starts the backoff over at the initial delay.
        #expect(machine.handle(.connectionLost, jitter: 0) == [.markAllStale, .scheduleRetry(seconds: 0.5)])
        #expect(machine.attempt == 1)
    }

    // MARK: Stopping

    @Test func stopFromDisconnectedDoesNothing() {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        #expect(machine.handle(.stop) == [])
        #expect(machine.state == .disconnected)
    }

    @Test func stopFromEveryActivePhaseClosesAndMarksStale() {
        var degraded = Self.ready()
        _ = degraded.handle(.notice(.linkLost))
        let machines: [(String, ConnectionStateMachine)] = [
            ("connecting", Self.connecting()), ("ready", Self.ready()), ("degraded", degraded),
            ("waitingToRetry", Self.waitingToRetry()),
        ]
        for (name, start) in machines {
            var machine = start
            #expect(machine.handle(.stop) == [.cancelRetry, .closeConnection, .markAllStale], "from \(name)")
            #expect(machine.phase == .disconnected, "from \(name)")
            #expect(machine.state == .disconnected, "from \(name)")
            #expect(machine.attempt == 0, "from \(name)")
            #expect(machine.degraded.isEmpty, "from \(name)")
            // Stays down: nothing but start brings it back.
            #expect(machine.handle(.retryDue) == [], "from \(name)")
            #expect(machine.handle(.connectionLost) == [], "from \(name)")
            #expect(machine.handle(.start) == [.cancelRetry, .openConnection], "from \(name)")
        }
    }

    // MARK: Notices

    @Test func linkLostDegradesAndMarksStale() {
        var machine = Self.ready()
        #expect(machine.handle(.notice(.linkLost)) == [.markAllStale])
        #expect(machine.state == .degraded([.linkLost]))
        #expect(machine.state.name == "degraded")
        #expect(!machine.state.isLive)
    }

    @Test func linkRestoredWithDataLostResubscribes() {
        var machine = Self.ready()
        _ = machine.handle(.notice(.linkLost))
        #expect(machine.handle(.notice(.linkRestored(dataLost: true))) == [.resubscribeAll])
        #expect(machine.state == .ready)
    }

    @Test func linkRestoredWithDataKeptVerifiesResumption() {
        var machine = Self.ready()
        _ = machine.handle(.notice(.linkLost))
        #expect(machine.handle(.notice(.linkRestored(dataLost: false))) == [.verifyResumption])
        #expect(machine.state == .ready)
    }

    @Test func farmBrokenAndRestored() {
        var machine = Self.ready()
        #expect(machine.handle(.notice(.farmBroken)) == [.markAllStale])
        #expect(machine.state == .degraded([.farmBroken]))
        #expect(machine.handle(.notice(.farmRestored)) == [])
        #expect(machine.state == .ready)
    }

    @Test func reasonsAccumulateAndClearIndependently() {
        var machine = Self.ready()
        _ = machine.handle(.notice(.farmBroken))
        _ = machine.handle(.notice(.linkLost))
        #expect(machine.state == .degraded([.farmBroken, .linkLost]))
        _ = machine.handle(.notice(.linkRestored(dataLost: false)))
        #expect(machine.state == .degraded([.farmBroken]))
        _ = machine.handle(.notice(.farmRestored))
        #expect(machine.state == .ready)
    }

    @Test func competingSessionDegradesUntilTicksResume() {
        var machine = Self.ready()
        #expect(machine.handle(.notice(.competingSession)) == [.markAllStale])
        #expect(machine.state == .degraded([.competingSession]))
        // TWS sends 10197 once per ticker: only the first marks stale.
        #expect(machine.handle(.notice(.competingSession)) == [])
        #expect(machine.handle(.ticksResumed) == [])
        #expect(machine.state == .ready)
    }

    @Test func ticksResumedDoesNotClearOtherReasons() {
        var machine = Self.ready()
        _ = machine.handle(.notice(.farmBroken))
        _ = machine.handle(.ticksResumed)
        #expect(machine.state == .degraded([.farmBroken]))
    }

    @Test func ticksResumedWhenNotConnectedIsIgnored() {
        var machine = Self.waitingToRetry()
        #expect(machine.handle(.ticksResumed) == [])
        #expect(machine.phase == .waitingToRetry)
    }

    @Test(arguments: [
        TWSNotice.linkLost, .linkRestored(dataLost: true), .linkRestored(dataLost: false), .farmBroken,
        .farmRestored, .competingSession,
    ])
    func noticesAreIgnoredWhileNotConnected(notice: TWSNotice) {
        var disconnected = ConnectionStateMachine(backoff: Self.backoff)
        #expect(disconnected.handle(.notice(notice)) == [])
        #expect(disconnected.state == .disconnected)
        var connecting = Self.connecting()
        #expect(connecting.handle(.notice(notice)) == [])
        #expect(connecting.state == .connecting)
        #expect(connecting.degraded.isEmpty)
        var waiting = Self.waitingToRetry()
        #expect(waiting.handle(.notice(notice)) == [])
        #expect(waiting.phase == .waitingToRetry)
        #expect(waiting.degraded.isEmpty)
    }

    @Test(arguments: [
        TWSNotice.informational, .pacing, .clientIDInUse, .maxTickers, .requestBookkeeping, .requestFailed,
        .requestEnded(.unknownContract), .advisory(delayedFollows: true),
    ])
    func otherNoticesLeaveAReadyConnectionAlone(notice: TWSNotice) {
        var machine = Self.ready()
        #expect(machine.handle(.notice(notice)) == [])
        #expect(machine.state == .ready)
    }
}
