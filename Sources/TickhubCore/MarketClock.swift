import Foundation
import Synchronization

/// The moment the hub judges market sessions at: the wall clock, unless the market it watches runs on a clock of
/// its own. A demo's simulated exchange on a Sunday trades as on a weekday, and a quote that moves while the hub
/// calls its market shut would be a contradiction on screen; so the hub judges sessions on the simulator's clock.
///
/// Set once at startup, before any quote arrives; the simulator itself never reads it (it keeps its own time).
public enum MarketClock {
    private static let shiftMicroseconds = Atomic<Int64>(0)

    /// From now on, sessions are judged as if the wall clock read `marketNow` at `wallNow`, both advancing together.
    public static func follow(_ marketNow: Date, at wallNow: Date = Date()) {
        let shift = (marketNow.timeIntervalSince1970 - wallNow.timeIntervalSince1970) * 1_000_000
        shiftMicroseconds.store(Int64(shift.rounded()), ordering: .relaxed)
    }

    /// The market's time at a wall-clock moment (microseconds since the Unix epoch).
    public static func marketDate(atMicroseconds wall: Int64) -> Date {
        Date(timeIntervalSince1970: Double(wall &+ shiftMicroseconds.load(ordering: .relaxed)) / 1_000_000)
    }

    /// The market's time at a wall-clock moment, in milliseconds since the Unix epoch: where a candle built from a
    /// quote received then belongs, so that it lines up with the bars the market's own history gives.
    public static func marketMilliseconds(atWallMilliseconds wall: Int64) -> Int64 {
        wall &+ shiftMicroseconds.load(ordering: .relaxed) / 1_000
    }

    /// Whether `instrument`'s regular session is open at a wall-clock moment, on the market's clock.
    public static func isOpen(_ instrument: Instrument, atMicroseconds wall: Int64) -> Bool {
        MarketHours.isOpen(instrument, at: marketDate(atMicroseconds: wall))
    }
}
