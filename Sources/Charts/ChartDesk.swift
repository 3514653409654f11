import TickhubCore

/// The candle series the charts follow.
public final class ChartDesk: Sendable {
    public init() {}
}
