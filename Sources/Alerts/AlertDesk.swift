import TickhubCore

/// The price alerts of the hub: rules loaded from the database, evaluated on each quote of their symbol, and
/// delivered.
public final class AlertDesk: Sendable {
    public init() {}
}
