/// Why a provider gave no bars: each says what a chart should show or try next.
public enum HistoricalBarError: Error, Equatable, Sendable {
    /// The provider does not know the instrument, or has no history for it (the next provider may).
    case unknownSymbol(String)
    /// The provider cannot serve now (disconnected, no permission, paced out); `String` is its reason.
    case unavailable(String)
    /// The provider answered something the hub cannot read.
    case malformed(String)
}
