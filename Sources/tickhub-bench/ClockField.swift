import ArgumentParser
import Foundation

/// The timestamp an update's latency is measured from.
///
/// `t` is when Tickhub received the update, so it times only the hub's fan-out; `ts` is when the publisher sent
/// it, so it times the whole path through any server, and is the only clock a peer server carries.
enum ClockField: String, ExpressibleByArgument, Sendable {
    case t, ts

    /// Calls `body` with the value of every `"t":` (or `"ts":`) key in a JSON frame, whether the frame is one
    /// object or an array of them.
    ///
    /// Bytes are scanned rather than parsed: at a quarter of a million quotes a second a JSON decoder would make
    /// the load generator the bottleneck. The scan stops at each `:` and looks back for exactly the key's quoted
    /// name preceded by `,` `{` or whitespace. That makes it exact for valid JSON: `"t":` never matches the end of
    /// `"ts":` or `"last":` (the byte before the `t` must be the opening quote), and a quote inside a string value
    /// is always escaped, so a string's content can never look like a key.
    @inline(__always)
    func forEachValue(in bytes: UnsafeRawBufferPointer, _ body: (UInt64) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        let quote = UInt8(ascii: "\""), colon = UInt8(ascii: ":")
        // Bytes from the delimiter before the key to the colon: `,"t":` is 4 back, `,"ts":` is 5 back.
        let back = self == .t ? 4 : 5
        var i = back
        while i < n {
            guard p[i] == colon, p[i - 1] == quote else {
                i += 1
                continue
            }
            let isKey = self == .t
                ? p[i - 2] == UInt8(ascii: "t") && p[i - 3] == quote
                : p[i - 2] == UInt8(ascii: "s") && p[i - 3] == UInt8(ascii: "t") && p[i - 4] == quote
            guard isKey, Self.isDelimiter(p[i - back]) else {
                i += 1
                continue
            }
            var j = i + 1
            while j < n, p[j] == UInt8(ascii: " ") { j += 1 }
            let digitsStart = j
            var value: UInt64 = 0
            while j < n, p[j] >= 48, p[j] <= 57 {
                value = value &* 10 &+ UInt64(p[j] - 48)
                j += 1
            }
            if j > digitsStart { body(value) }
            i = j
        }
    }

    @inline(__always)
    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: " ")
            || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}

/// Microseconds since the epoch on this machine's wall clock: what the publisher stamps as `ts`, what the hub
/// stamps as `t`, and what a client compares them with. One `clock_gettime`, no Date or Double in between.
@inline(__always)
func wallClockMicros() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) &* 1_000_000 &+ UInt64(now.tv_nsec) / 1_000
}
