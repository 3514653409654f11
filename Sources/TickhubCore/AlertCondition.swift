/// What an alert rule watches for, spelled as the API spells it.
///
/// `above` and `below` hold while the price is strictly past the level (a price on the level is neither); `crosses` is an event, a move from one side of the
/// level to the other between two evaluated prices; `changePercent` compares the move from a reference price
/// (`AlertReference`) with `level`, read as a percentage: positive for a rise of at least that much, negative for a
/// fall of at least that much.
public enum AlertCondition: String, Sendable, Codable, CaseIterable {
    case above
    case below
    case crosses
    case changePercent
}

/// The price a `changePercent` rule measures its move from.
public enum AlertReference: String, Sendable, Codable, CaseIterable {
    /// The quote's previous session close, so the rule follows the day's change as the quote reports it.
    case previousClose
    /// The price when the rule was made (`AlertRule.referencePrice`).
    case creation
}
