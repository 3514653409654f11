import Synchronization
import TickhubCore

/// The providers that backfill charts, in preference order (IBKR, then Yahoo): per symbol, the first that serves.
///
/// A provider that does not know a symbol is not asked about it again for a while (`forgetAfter`), so each chart
/// opened on it does not cost a round trip that is bound to fail. A provider that is only unavailable (disconnected,
/// paced out, a span it does not reach) is asked again next time.
public final class ChartSources: Sendable {
    private let providers: [any HistoricalBarProvider]
    private let forgetAfter: Int64
    private let clock: WallClock
    private let state = Mutex(State())

    private struct State {
        /// (provider index, symbol) → until when (µs) that provider is not asked about the symbol.
        var cannotServe: [Pair: Int64] = [:]
        var follows: [Int: (provider: Int, id: Int)] = [:]
        var nextFollow = 1
    }

    private struct Pair: Hashable {
        var provider: Int
        var symbol: String
    }

    public convenience init(providers: [any HistoricalBarProvider]) {
        self.init(providers: providers, forgetAfter: .seconds(300), clock: .system)
    }

    /// - Parameters:
    ///   - forgetAfter: how long a provider's "unknown symbol" stands before it is asked again.
    ///   - clock: the time the remembered refusals are judged at.
    public init(providers: [any HistoricalBarProvider], forgetAfter: Duration, clock: WallClock) {
        self.providers = providers
        let (seconds, attoseconds) = forgetAfter.components
        self.forgetAfter = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        self.clock = clock
    }

    /// The bars of `request` from the first provider that serves its symbol, marked with that provider's source.
    /// When none does, throws the most telling `HistoricalBarError`: `unknownSymbol` only when every provider said
    /// so, else the last provider's other reason (a disconnected IBKR says more than Yahoo not knowing the symbol).
    public func bars(_ request: BarRequest) async throws -> BarFetch {
        let symbol = request.instrument.symbol
        var unknown: HistoricalBarError?
        var other: HistoricalBarError?
        for (index, provider) in providers.enumerated() where asks(index, about: symbol) {
            do {
                let bars = try await provider.bars(request)
                return BarFetch(bars: bars, source: provider.source)
            } catch let error as HistoricalBarError {
                if case .unknownSymbol = error {
                    remember(index, cannotServe: symbol)
                    unknown = error
                } else {
                    other = error
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                other = .unavailable("\(provider.source.rawValue): \(error)")
            }
        }
        throw other ?? unknown ?? HistoricalBarError.unknownSymbol("no chart provider serves \(symbol)")
    }

    /// Follows `instrument`'s bars at `interval` through the first provider, among those that may serve the symbol,
    /// that has live bars; `onBar` gets each with that provider's source. Nil when none has them (Yahoo has not):
    /// the hub's candle from trades is then all there is.
    public func followBars(
        _ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar, QuoteSource) -> Void
    ) async -> Int? {
        for (index, provider) in providers.enumerated() where asks(index, about: instrument.symbol) {
            let source = provider.source
            guard let id = await provider.followBars(instrument, interval: interval, onBar: { onBar($0, source) }) else {
                continue
            }
            return state.withLock { state in
                let follow = state.nextFollow
                state.nextFollow += 1
                state.follows[follow] = (index, id)
                return follow
            }
        }
        return nil
    }

    /// Stops a follow `followBars` started; an id it did not give (or already stopped) is ignored.
    public func stopFollowing(_ id: Int) async {
        guard let follow = state.withLock({ $0.follows.removeValue(forKey: id) }) else { return }
        await providers[follow.provider].stopFollowing(follow.id)
    }

    private func asks(_ index: Int, about symbol: String) -> Bool {
        let now = clock.nowMicros()
        return state.withLock { state in
            let pair = Pair(provider: index, symbol: symbol)
            guard let until = state.cannotServe[pair] else { return true }
            if now < until { return false }
            state.cannotServe[pair] = nil
            return true
        }
    }

    private func remember(_ index: Int, cannotServe symbol: String) {
        let until = clock.nowMicros() + forgetAfter
        state.withLock { state in
            // Bounded: expired refusals go whenever the list grows large.
            if state.cannotServe.count >= 10_000 {
                let now = clock.nowMicros()
                state.cannotServe = state.cannotServe.filter { $0.value > now }
            }
            state.cannotServe[Pair(provider: index, symbol: symbol)] = until
        }
    }
}
