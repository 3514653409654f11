/// A scale-out message or setting that is not what it must be, and why: what comes over NATS is checked as
/// strictly as what comes from a client.
public struct RelayMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
