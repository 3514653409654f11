import CoreMetrics
import Logging
import Synchronization
import TickhubCore
import TickhubMetrics

/// The candle series the charts follow: each backfilled once (from the bars kept in the database, then the providers
/// for what is missing), kept forming from the hub's quotes, corrected by the provider's own bars, and published to
/// the hub, whose shards keep a copy for their clients. A series lives while some client follows it.
public final class ChartDesk: Sendable {
    /// What the desk tells the hub: a whole series (at once for those who asked), and each changed bar.
    public struct Publisher: Sendable {
        public var series: @Sendable (BarKey, [Bar], QuoteSource?, Bool) -> Void
        public var bar: @Sendable (BarKey, Bar, QuoteSource) -> Void

        public init(series: @escaping @Sendable (BarKey, [Bar], QuoteSource?, Bool) -> Void,
                    bar: @escaping @Sendable (BarKey, Bar, QuoteSource) -> Void) {
            self.series = series
            self.bar = bar
        }
    }

    struct Followed {
        var series: CandleSeries
        let instrument: Instrument
        /// The backfill, until it is done: a request for the same series waits for it rather than asking again.
        var loading: Task<Void, Never>?
        var loaded = false
        /// Where the backfill started: a request for bars from then on is answered from the series.
        var window = Int64.max
        /// The provider's updates of the forming bar.
        var live: Int?
    }

    struct State {
        var followed: [BarKey: Followed] = [:]
        /// The intervals followed per symbol: a quote touches only its own symbol's series.
        var intervals: [String: [BarInterval]] = [:]
        var publisher: Publisher?
    }

    private let state = Mutex(State())
    let history: any BarHistory
    let archive: (any BarArchive)?
    let logger: Logger
    /// Now on the market's clock, in ms: what "a day of minutes" ends at, and when a bar is complete.
    let now: @Sendable () -> Int64

    public init(history: any BarHistory, archive: (any BarArchive)?, logger: Logger = Logger(label: "tickhub.charts"),
                now: @escaping @Sendable () -> Int64 = { MarketClock.marketMilliseconds(atWallMilliseconds: WallClock.system.now().milliseconds) }) {
        self.history = history
        self.archive = archive
        self.logger = logger
        self.now = now
    }

    /// Where series and bars go from now on (the server, once it exists).
    public func publish(to publisher: Publisher) {
        state.withLock { $0.publisher = publisher }
    }

    // MARK: Quotes

    /// Takes a quote into its symbol's forming candles. Called for every quote the hub gets: a symbol without a chart
    /// costs one dictionary lookup.
    public func observe(_ quote: Quote) {
        let time = MarketClock.marketMilliseconds(atWallMilliseconds: quote.timestamp)
        var changed: [(BarKey, Bar, QuoteSource, completed: Bar?)] = []
        let publisher: Publisher? = state.withLock { state in
            guard let intervals = state.intervals[quote.symbol] else { return nil }
            for interval in intervals {
                let key = BarKey(symbol: quote.symbol, interval: interval)
                guard state.followed[key]?.loaded == true else { continue }
                let before = state.followed[key]?.series.last
                guard let bar = state.followed[key]?.series.take(quote, at: time) else { continue }
                let completed = before.flatMap { $0.time < bar.time ? $0 : nil }
                changed.append((key, bar, state.followed[key]?.series.source ?? quote.source, completed))
            }
            return state.publisher
        }
        for (key, bar, source, completed) in changed {
            publisher?.bar(key, bar, source)
            if let completed { keep([completed], for: key, source: source) }
        }
    }

    /// The provider's own bar: it replaces the candle built from trades.
    func corrected(_ key: BarKey, _ bar: Bar, source: QuoteSource) {
        let (taken, publisher, newest) = state.withLock { state -> (Bar?, Publisher?, Int64?) in
            let taken = state.followed[key]?.series.correct(with: bar, source: source)
            return (taken, state.publisher, state.followed[key]?.series.last?.time)
        }
        guard let taken else { return }
        publisher?.bar(key, taken, source)
        if let newest, taken.time < newest { keep([taken], for: key, source: source) }
    }

    // MARK: Following

    /// Series some client now wants: each is backfilled, then published whole, then kept forming.
    public func follow(_ keys: [BarKey]) {
        for key in keys {
            guard let instrument = try? SymbolGrammar.parse(key.symbol) else { continue }
            let ready: (CandleSeries, Publisher?)? = state.withLock { state in
                if let entry = state.followed[key] {
                    return entry.loaded ? (entry.series, state.publisher) : nil
                }
                state.followed[key] = Followed(series: CandleSeries(key: key, securityType: instrument.securityType), instrument: instrument)
                state.intervals[key.symbol, default: []].append(key.interval)
                let task = Task { await self.load(key, instrument) }
                state.followed[key]?.loading = task
                return nil
            }
            if let (series, publisher) = ready {
                publisher?.series(key, series.bars, series.source, series.lastComplete(now: now()))
            }
        }
    }

    /// Series no client wants any more: their provider updates stop and they are forgotten (their complete bars are
    /// in the database).
    public func release(_ keys: [BarKey]) {
        var stopping: [Int] = []
        state.withLock { state in
            for key in keys {
                guard let entry = state.followed.removeValue(forKey: key) else { continue }
                entry.loading?.cancel()
                if let live = entry.live { stopping.append(live) }
                state.intervals[key.symbol]?.removeAll { $0 == key.interval }
                if state.intervals[key.symbol]?.isEmpty == true { state.intervals[key.symbol] = nil }
            }
        }
        guard !stopping.isEmpty else { return }
        Task { for id in stopping { await history.stopFollowing(id) } }
    }

    public var followedCount: Int { state.withLock { $0.followed.count } }

    /// Backfills a followed series, publishes it, and starts the provider's updates of its forming bar.
    private func load(_ key: BarKey, _ instrument: Instrument) async {
        let span = BarSpan.recent(BarSpan.duration(BarSpan.opening(key.interval)) ?? BarSpan.day, for: instrument, now: now())
        let fetched = try? await assemble(key, instrument, span)
        let publisher: Publisher? = state.withLock { state in
            guard state.followed[key] != nil else { return nil }
            if let fetched {
                state.followed[key]?.series.backfill(fetched.bars, source: fetched.source)
                state.followed[key]?.window = span.from
            }
            state.followed[key]?.loaded = true
            state.followed[key]?.loading = nil
            return state.publisher
        }
        guard let publisher else { return }
        let series = state.withLock { $0.followed[key]?.series }
        if let series { publisher.series(key, series.bars, series.source, series.lastComplete(now: now())) }
        guard fetched != nil, !Task.isCancelled else { return }
        let live = await history.followBars(instrument, interval: key.interval) { [weak self] bar, source in
            self?.corrected(key, bar, source: source)
        }
        guard let live else { return }
        let orphaned = state.withLock { state -> Bool in
            guard state.followed[key] != nil else { return true }
            state.followed[key]?.live = live
            return false
        }
        if orphaned { await history.stopFollowing(live) }
    }

    // MARK: Retention

    /// Forgets the kept bars older than any request at their interval may reach (a week of minutes, a year of
    /// hours, twenty years of days): the database holds what a chart can ask for, not every bar ever seen.
    @discardableResult
    public func pruneKeptBars() async -> Int {
        guard let archive else { return 0 }
        let now = now()
        var pruned = 0
        for interval in BarInterval.allCases {
            do {
                pruned += try await archive.pruneBars(before: now - BarSpan.longest(interval) - BarSpan.day, interval: interval)
            } catch {
                logger.warning("charts: the kept \(interval.rawValue) bars could not be pruned: \(error)")
            }
        }
        return pruned
    }

    // MARK: Bars on request

    /// The bars of `key` in `span`: from the followed series when it covers the span, else from the database and
    /// the providers.
    func bars(_ key: BarKey, _ instrument: Instrument, _ span: BarSpan) async throws -> (BarFetch, lastComplete: Bool) {
        if let pending = state.withLock({ $0.followed[key]?.loading }) { await pending.value }
        let now = now()
        let held: (BarFetch, Bool)? = state.withLock { state in
            guard let entry = state.followed[key], entry.loaded, entry.window <= span.from, let source = entry.series.source
            else { return nil }
            let bars = Array(entry.series.bars(from: span.from, to: span.to))
            let complete = span.to < now || entry.series.lastComplete(now: now)
            return (BarFetch(bars: bars, source: source), complete)
        }
        if let held { return held }
        let fetched = try await assemble(key, instrument, span)
        let complete = fetched.bars.last.map { now >= $0.time + key.interval.milliseconds } ?? true
        return (fetched, complete)
    }

    /// The bars of `span`: those kept in the database, and from the providers whatever came after the newest of them
    /// (which may have been forming when it was kept). What the providers gave is kept for next time.
    func assemble(_ key: BarKey, _ instrument: Instrument, _ span: BarSpan) async throws -> BarFetch {
        var kept: BarFetch?
        do {
            kept = try await archive?.bars(for: key, from: span.from, to: span.to)
        } catch {
            logger.warning("charts: the bars kept for \(key) cannot be read: \(error)")
        }
        var from = span.from
        if let newest = kept?.bars.last, let oldest = kept?.bars.first,
           key.interval == .oneDay || !BarSpan.traded(instrument, from: span.from, to: oldest.time - key.interval.milliseconds) {
            from = newest.time
        } else {
            kept = nil
        }
        let fetched: BarFetch
        do {
            fetched = try await history.bars(BarRequest(instrument: instrument, interval: key.interval, from: from, to: span.to))
        } catch {
            // What was kept still draws a chart, marked with where it came from; with nothing kept the error stands.
            if let kept, !kept.bars.isEmpty { return kept }
            throw error
        }
        // Kept before the answer, not beside it: a hub stopped right after would otherwise fetch the day again.
        await store(fetched.bars, for: key, source: fetched.source)
        let older = kept?.bars.filter { $0.time < from } ?? []
        CoreMetrics.Counter(label: MetricCatalog.chartBars, dimensions: [("from", "database")]).increment(by: older.count)
        CoreMetrics.Counter(label: MetricCatalog.chartBars, dimensions: [("from", fetched.source.rawValue)]).increment(by: fetched.bars.count)
        return BarFetch(bars: older + fetched.bars, source: fetched.source)
    }

    /// Bars written to the database off the caller's path (a bar completed by a quote).
    private func keep(_ bars: [Bar], for key: BarKey, source: QuoteSource) {
        guard archive != nil, !bars.isEmpty else { return }
        Task { await store(bars, for: key, source: source) }
    }

    /// A failed write costs a refetch after a restart, no more: it is logged, not thrown.
    private func store(_ bars: [Bar], for key: BarKey, source: QuoteSource) async {
        guard let archive, !bars.isEmpty else { return }
        do {
            try await archive.saveBars(bars, for: key, source: source)
        } catch {
            logger.warning("charts: \(bars.count) bars of \(key) not kept: \(error)")
        }
    }
}
