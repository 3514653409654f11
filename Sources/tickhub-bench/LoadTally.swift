import Histogram

/// What one event loop's clients have received. Every client on a loop shares one tally that only that loop
/// touches, so the hot path takes no locks; the bench reads and resets it by submitting work to the loop.
final class LoadTally: @unchecked Sendable {
    let clock: ClockField
    /// Updates (clock fields) and text frames received by reading clients.
    var updates = 0
    var frames = 0
    /// Clients upgraded on this loop, and how many of them have since lost their connection.
    var connected = 0
    var disconnected = 0
    var recording = false
    /// Latency of every update delivered while recording, in µs.
    var latency = LatencyHistogram.make()
    /// Set only while a burst is measured.
    var burst: BurstTracker?

    init(clock: ClockField) { self.clock = clock }

    /// Counts the updates in one frame and, while recording, times each against `now` (read once per socket
    /// read: every frame in it arrived at the same moment).
    @inline(__always)
    func absorb(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        clock.forEachValue(in: bytes) { sent in
            updates += 1
            // A stamp from the future is not a time this machine's clock produced; it cannot be timed.
            guard recording, now >= sent else { return }
            let micros = now - sent
            latency.record(min(micros, LatencyHistogram.highestMicros))
            if burst != nil { burst!.record(sent: sent, latencyMicros: micros) }
        }
    }
}
