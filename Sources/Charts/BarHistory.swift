import Store
import TickhubCore

/// Where the charts' history comes from: the providers that can backfill, in the manager's order (the app wires
/// MarketData's `ChartSources` behind it).
public protocol BarHistory: Sendable {
    /// The bars of `request` from the first provider that serves the symbol, and who that was.
    func bars(_ request: BarRequest) async throws -> BarFetch
    /// The serving provider's own updates of the forming bar, when it has them; nil otherwise.
    func followBars(_ instrument: Instrument, interval: BarInterval,
                    onBar: @escaping @Sendable (Bar, QuoteSource) -> Void) async -> Int?
    func stopFollowing(_ id: Int) async
}

/// Where bars are kept between runs, so that a restart asks the providers only for what it missed.
public protocol BarArchive: Sendable {
    func saveBars(_ bars: [Bar], for key: BarKey, source: QuoteSource) async throws
    /// The bars kept for `key` in `[from, to)` and their source; nil when none are.
    func bars(for key: BarKey, from: Int64, to: Int64) async throws -> BarFetch?
    /// Forgets the bars of `interval` that start before `time`; returns how many.
    func pruneBars(before time: Int64, interval: BarInterval?) async throws -> Int
}
