/// How many lines of one kind a log takes per minute. Past the allowance lines are counted, not written, and the
/// next line written says how many were left out: a client asking for ten thousand unknown symbols must not turn
/// into ten thousand log lines, while the first few still show what happened.
public struct LogAllowance: Sendable {
    public let perMinute: Int
    private var windowStart: Int64?
    private var written = 0
    private var leftOut = 0

    public init(perMinute: Int = 60) {
        self.perMinute = perMinute
    }

    /// Whether a line may be written at `now` (milliseconds); when it may, `leftOut` is how many lines of its kind
    /// were held back since the last one written, for it to mention.
    public mutating func admit(now: Int64) -> (write: Bool, leftOut: Int) {
        if let start = windowStart, now - start < 60_000, now >= start {
            guard written < perMinute else {
                leftOut += 1
                return (false, 0)
            }
        } else {
            windowStart = now
            written = 0
        }
        written += 1
        defer { leftOut = 0 }
        return (true, leftOut)
    }

    /// " (and 123 more like it in the last minute)" for a line that follows held-back ones, else "".
    public static func suffix(_ leftOut: Int) -> String {
        leftOut == 0 ? "" : " (and \(leftOut) more like it held back)"
    }
}
