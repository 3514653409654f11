/// Whether quotes for a symbol can be had, for the HTTP API's 404 and 503 and the stream's error messages.
public enum SymbolAvailability: Equatable, Sendable {
    case available
    /// No provider knows the instrument.
    case unknown
    /// Known, but no provider can serve it now (disconnected, not entitled, out of lines).
    case unavailable(String)
}
