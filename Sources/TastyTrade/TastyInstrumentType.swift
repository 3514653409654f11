/// What TastyTrade says a position or instrument is (`instrument-type`).
public enum TastyInstrumentType: String, Sendable, Equatable, CaseIterable {
    case equity = "Equity"
    case equityOption = "Equity Option"
    case future = "Future"
    case futureOption = "Future Option"
    case cryptocurrency = "Cryptocurrency"
}
