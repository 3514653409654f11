/// A published update refused against the quote it would land on (`Quote.bookProblem`): its place in the batch it
/// came in, and why.
public struct RefusedPatch: Sendable, Equatable {
    public var position: Int
    public var reason: String

    public init(position: Int, reason: String) {
        self.position = position
        self.reason = reason
    }
}

extension Quote {
    /// What makes this quote one no market shows: a bid above the ask, a low above the high. Nil when it is sane.
    /// A patch can pass every check alone and still leave its quote so, against the values already standing.
    public var bookProblem: String? {
        if let bid, let ask, bid > ask { return "crossed book: bid \(bid) would be above ask \(ask)" }
        if let low, let high, low > high { return "low \(low) would be above high \(high)" }
        return nil
    }
}
