import CLwsShim
import TickhubCore

/// When the fan-out writes what is pending: at once if it last wrote `interval` ago or more, else once, when the
/// interval is up. Service thread only.
///
/// lws reads a WebSocket at most one receive buffer per turn of the loop, so a busy publisher arrives a few
/// updates per turn. A write to every waiting client after each of those turns made the turns long, the
/// publisher's bytes queued behind them and latency grew to seconds at 2,000 updates/s. Paced, the turns between
/// writes only read, the publisher is drained, and each client gets the updates of an interval in one frame.
final class FlushPacer {
    static let interval: Int64 = 1_000

    private var timer: OpaquePointer?
    private var lastFlush: Int64 = 0
    private var armed = false
    private let clock: WallClock
    private let flush: () -> Void

    init(context: OpaquePointer, clock: WallClock, flush: @escaping () -> Void) {
        self.clock = clock
        self.flush = flush
        timer = clws_pacer_new(context, Unmanaged.passUnretained(self).toOpaque()) { owner in
            guard let owner else { return }
            Unmanaged<FlushPacer>.fromOpaque(owner).takeUnretainedValue().fire()
        }
    }

    /// Frees the timer; call before the lws context is destroyed.
    func close() {
        clws_pacer_free(timer)
        timer = nil
    }

    /// Writes now, or arms the timer to write once the interval since the last write is up.
    func request(now: Int64) {
        if now - lastFlush >= Self.interval {
            lastFlush = now
            flush()
        } else if !armed, let timer {
            armed = true
            clws_pacer_arm(timer, Self.interval - (now - lastFlush))
        }
    }

    private func fire() {
        armed = false
        lastFlush = clock.nowMicros()
        flush()
    }
}
