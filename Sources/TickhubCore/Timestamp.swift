/// An instant, kept as microseconds since the Unix epoch. The unit lives in the type: a stamp read in milliseconds
/// (Yahoo's clock, a quote's `t`) and one in microseconds (the hub's) meet only through `milliseconds`.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func milliseconds(_ value: Int64) -> Timestamp { Timestamp(microseconds: value * 1_000) }

    /// Whole milliseconds (truncated: nothing the hub stamps is before the epoch).
    public var milliseconds: Int64 { microseconds / 1_000 }

    /// µs from `earlier` to this instant (negative when `earlier` is later).
    public func microseconds(since earlier: Timestamp) -> Int64 { microseconds &- earlier.microseconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public var description: String { "\(microseconds) µs" }
}
