import TickhubCore

/// A provider that can backfill a chart: its bars for an instrument over a span, and (where its feed has them) the
/// provider's own bar for the interval as it forms, which corrects the candle the hub builds from trades.
public protocol HistoricalBarProvider: Sendable {
    var source: QuoteSource { get }

    /// The bars of `request`, oldest first. Throws `HistoricalBarError` when the provider cannot serve them.
    func bars(_ request: BarRequest) async throws -> [Bar]

    /// Starts the provider's updates of `key`'s forming bar (and the bars that complete): `onBar` is called with
    /// each, from the provider's own thread. Returns nil when the provider has no such updates for the instrument.
    /// They resume by themselves after a reconnect until `stopFollowing` is called with the returned id.
    func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int?

    func stopFollowing(_ id: Int) async
}

extension HistoricalBarProvider {
    public func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? { nil }
    public func stopFollowing(_ id: Int) async {}
}
