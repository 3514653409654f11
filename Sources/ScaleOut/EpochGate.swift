/// An edge's check on what it hears from the feed: each message carries the epoch of the leader that sent it
/// (`Tickhub-Epoch`), and only the newest epoch seen is let through, so that an ingest that lost the lease and
/// has not noticed yet cannot mix its quotes, numbered in its own sequence, into its successor's.
public struct EpochGate: Sendable, Equatable {
    /// The newest epoch seen; 0 before any.
    public private(set) var newest: UInt64 = 0

    public init() {}

    /// True when the message is from the newest epoch seen (which it may make the newest).
    public mutating func admit(_ epoch: UInt64) -> Bool {
        guard epoch >= newest else { return false }
        newest = epoch
        return true
    }

    /// True for a message whose headers carry an epoch that is the newest; a message without one is refused: every
    /// message of the feed carries it.
    public mutating func admit(headers: [String: String]) -> Bool {
        guard let epoch = Self.epoch(in: headers) else { return false }
        return admit(epoch)
    }

    /// The epoch a message's headers carry; nil when it has none, or not a number.
    public static func epoch(in headers: [String: String]) -> UInt64? {
        headers[RelaySubjects.epochHeader].flatMap { UInt64($0) }
    }

    /// The headers that say a message is of this epoch.
    public static func headers(_ epoch: UInt64) -> [String: String] { [RelaySubjects.epochHeader: String(epoch)] }
}
