import Foundation

/// Wall-clock time as the hub stamps it: µs since the Unix epoch. A value handed to whoever needs the time, so a
/// test can give the hub a clock it moves itself and wait for what happens, not sleep for it.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    public func now() -> Timestamp { Timestamp(microseconds: read()) }

    /// The hub's own timers (deadlines, silences) count in µs.
    public func nowMicros() -> Int64 { read() }

    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}
