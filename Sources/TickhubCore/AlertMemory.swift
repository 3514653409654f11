/// What an alert rule has seen, beyond the rule itself: whether it may fire, on which side of its level the price
/// was, when it last fired and the base it measures a change from. Kept by the hub between runs, so that a restart
/// neither fires a rule again inside its cooldown nor forgets that it already fired on the price it sees now.
public struct AlertMemory: Sendable, Equatable, Codable {
    /// Which side of a `crosses` rule's level the last evaluated price was on.
    public enum Side: String, Sendable, Codable { case above, below }

    /// For above/below/changePercent: the next time the condition holds may fire (false once it fired, until the
    /// price goes back past the re-arm band).
    public var armed: Bool
    /// For crosses: nil before a price was evaluated, or while the price sat on the level.
    public var side: Side?
    /// For crosses: a firing happened, so the next crossing must clear the level by the re-arm band.
    public var needsBand: Bool
    /// Milliseconds since the epoch of the last firing, nil if it never fired.
    public var lastFiredAt: Int64?
    /// The price a `changePercent` rule measured from creation takes as its base, once known.
    public var base: Double?

    public init(armed: Bool = true, side: Side? = nil, needsBand: Bool = false, lastFiredAt: Int64? = nil, base: Double? = nil) {
        self.armed = armed
        self.side = side
        self.needsBand = needsBand
        self.lastFiredAt = lastFiredAt
        self.base = base
    }
}
