import Foundation
import Synchronization
import Store
import Testing
import TickhubCore
@testable import Charts

/// A provider's history as the desk sees it: bars made on request, counted, and live bars handed out on demand.
final class FakeHistory: BarHistory, Sendable {
    struct Asked: Equatable { var symbol: String; var interval: BarInterval; var from: Int64; var to: Int64 }
    let asked = Mutex<[Asked]>([])
    let live = Mutex<[Int: @Sendable (Bar, QuoteSource) -> Void]>([:])
    let refusing: HistoricalBarError?
    /// The number of live follows after each start or stop, for a test to wait on.
    let followCounts: AsyncStream<Int>
    private let counted: AsyncStream<Int>.Continuation

    init(refusing: HistoricalBarError? = nil) {
        self.refusing = refusing
        (followCounts, counted) = AsyncStream.makeStream()
    }

    /// Waits for the count of live follows to become `count`.
    func waitForFollows(_ count: Int) async -> Bool {
        if live.withLock({ $0.count }) == count { return true }
        for await now in followCounts where now == count { return true }
        return false
    }

    func bars(_ request: BarRequest) async throws -> BarFetch {
        asked.withLock { $0.append(Asked(symbol: request.instrument.symbol, interval: request.interval, from: request.from, to: request.to)) }
        if let refusing { throw refusing }
        let width = request.interval.milliseconds
        var bars: [Bar] = []
        var time = request.interval.start(of: request.from)
        while time < request.to {
            if time >= request.from { bars.append(Bar(time: time, open: 100, high: 101, low: 99, close: 100.5, volume: 10)) }
            time += width
        }
        return BarFetch(bars: bars, source: .ibkr)
    }

    func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar, QuoteSource) -> Void) async -> Int? {
        let (id, count) = live.withLock { live in
            live[live.count + 1] = onBar
            return (live.count, live.count)
        }
        counted.yield(count)
        return id
    }

    func stopFollowing(_ id: Int) async {
        let count = live.withLock { live in
            live.removeValue(forKey: id)
            return live.count
        }
        counted.yield(count)
    }

    func send(_ bar: Bar) { for handler in live.withLock({ Array($0.values) }) { handler(bar, .ibkr) } }
}

/// What the desk published, in order, and a way to wait for the next series without sleeping.
final class Published: Sendable {
    enum Item: Equatable { case series(BarKey, [Bar], QuoteSource?, Bool), bar(BarKey, Bar, QuoteSource) }
    let items = Mutex<[Item]>([])
    let arrivals: AsyncStream<Item>
    let sink: AsyncStream<Item>.Continuation

    init() { (arrivals, sink) = AsyncStream.makeStream() }

    var publisher: ChartDesk.Publisher {
        ChartDesk.Publisher(
            series: { key, bars, source, complete in self.add(.series(key, bars, source, complete)) },
            bar: { key, bar, source in self.add(.bar(key, bar, source)) })
    }

    private func add(_ item: Item) {
        items.withLock { $0.append(item) }
        sink.yield(item)
    }

    func nextSeries() async -> (BarKey, [Bar], QuoteSource?)? {
        for await item in arrivals { if case let .series(key, bars, source, _) = item { return (key, bars, source) } }
        return nil
    }
}

@Suite struct ChartDeskTests {
    /// Wednesday 2026-12-02 11:00 New York: US stocks trade.
    static let open: Int64 = 1_764_691_200_000

    func desk(_ history: FakeHistory, now: Int64 = open) -> (ChartDesk, Published) {
        let desk = ChartDesk(history: history, archive: nil, now: { now })
        let published = Published()
        desk.publish(to: published.publisher)
        return (desk, published)
    }

    @Test func aFollowedSeriesIsBackfilledOnceAndPublishedWhole() async throws {
        let history = FakeHistory()
        let (desk, published) = desk(history)
        let key = BarKey(symbol: "AAPL", interval: .oneMinute)
        desk.follow([key])
        let (seriesKey, bars, source) = try #require(await published.nextSeries())
        #expect(seriesKey == key && source == .ibkr)
        #expect(bars.count == 1_440)
        #expect(bars.last?.time == Self.open - 60_000)
        // A second follow of a loaded series sends it again (for the shard that asked) without asking the provider.
        desk.follow([key])
        _ = await published.nextSeries()
        #expect(history.asked.withLock { $0.count } == 1)
    }

    @Test func quotesMakeTheFormingCandleAndTheProvidersBarCorrectsIt() async throws {
        let history = FakeHistory()
        let (desk, published) = desk(history)
        let key = BarKey(symbol: "AAPL", interval: .oneMinute)
        desk.follow([key])
        _ = await published.nextSeries()
        var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: Self.open + 1_000)
        quote.last = 101.5
        quote.volume = 5_000
        desk.observe(quote)
        quote.last = 102
        quote.volume = 5_040
        quote.timestamp += 1_000
        desk.observe(quote)
        let bars = published.items.withLock { $0.compactMap { if case let .bar(_, bar, _) = $0 { bar } else { nil } } }
        #expect(bars.count == 2)
        #expect(bars.last == Bar(time: Self.open, open: 101.5, high: 102, low: 101.5, close: 102, volume: 40))
        let own = Bar(time: Self.open, open: 101.4, high: 102.1, low: 101.3, close: 102, volume: 45)
        history.send(own)
        let last = published.items.withLock { $0.last }
        #expect(last == .bar(key, own, .ibkr))
        // Another symbol's quote touches nothing.
        desk.observe(Quote(symbol: "MSFT", source: .ibkr, timestamp: Self.open))
        #expect(published.items.withLock { $0.count } == 4)
    }

    @Test func aReleasedSeriesStopsItsProviderUpdatesAndIsForgotten() async throws {
        let history = FakeHistory()
        let (desk, published) = desk(history)
        let key = BarKey(symbol: "AAPL", interval: .fiveMinutes)
        desk.follow([key])
        _ = await published.nextSeries()
        // The live follow is started just after the series is published.
        #expect(await history.waitForFollows(1))
        desk.release([key])
        #expect(desk.followedCount == 0)
        #expect(await history.waitForFollows(0))
    }

    @Test func barsOnRequestComeFromTheSeriesWhenItCoversThem() async throws {
        let history = FakeHistory()
        let (desk, published) = desk(history)
        let key = BarKey(symbol: "AAPL", interval: .oneMinute)
        desk.follow([key])
        _ = await published.nextSeries()
        let response = await desk.answer(symbol: "aapl", query: ["interval": "1m", "range": "1d"])
        #expect(response.status == 200)
        let body = try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
        #expect(body["symbol"] as? String == "AAPL" && body["source"] as? String == "ibkr")
        #expect((body["bars"] as? [Any])?.count == 1_440)
        #expect(body["lastComplete"] as? Bool == true)
        #expect(history.asked.withLock { $0.count } == 1)
    }

    @Test func badRequestsGetClearErrors() async {
        let (desk, _) = desk(FakeHistory(refusing: .unknownSymbol("no security definition")))
        #expect(await desk.answer(symbol: "AAPL", query: ["interval": "2m"]).status == 400)
        #expect(await desk.answer(symbol: "AAPL", query: ["interval": "1m", "range": "30d"]).status == 400)
        #expect(await desk.answer(symbol: "AAPL", query: ["range": "yesterday"]).status == 400)
        #expect(await desk.answer(symbol: "AA PL X", query: [:]).status == 400)
        let unknown = await desk.answer(symbol: "ZZZZ", query: [:])
        #expect(unknown.status == 404)
        #expect(String(decoding: unknown.body, as: UTF8.self).contains("unknown_symbol"))
    }

    @Test func aDayOfMinutesOnASundayIsFridays() {
        // Sunday 2026-12-06 12:00 New York.
        let sunday: Int64 = 1_765_040_400_000
        let span = BarSpan.recent(BarSpan.day, for: .stock("AAPL"), now: sunday)
        // Friday's close, 16:00 New York, less a day: the span holds Friday's whole session.
        let fridayClose: Int64 = 1_764_968_400_000
        #expect(span.from <= fridayClose - BarSpan.day + 5 * 60_000 && span.from >= fridayClose - BarSpan.day - 5 * 60_000)
        #expect(span.to == sunday)
        // Crypto trades on Sundays: its day is the last 24 hours.
        #expect(BarSpan.recent(BarSpan.day, for: .crypto("BTC"), now: sunday).from == sunday - BarSpan.day)
    }
}

@Suite struct ChartRetentionTests {
    @Test func keptBarsOlderThanTheirIntervalCanReachAreForgottenAtStart() async throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("tickhub-charts-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try PositionStore(path: path)
        let now = ChartDeskTests.open
        let tenDaysAgo = BarInterval.oneDay.start(of: now - 10 * BarSpan.day)
        let bar = Bar(time: tenDaysAgo, open: 10, high: 11, low: 9, close: 10, volume: 5)
        try await store.saveBars([bar], for: BarKey(symbol: "AAPL", interval: .oneMinute), source: .ibkr)
        try await store.saveBars([bar], for: BarKey(symbol: "AAPL", interval: .oneDay), source: .ibkr)
        let desk = ChartDesk(history: FakeHistory(), archive: store, now: { now })
        // Minutes reach back a week, days twenty years: only the minute goes.
        #expect(await desk.pruneKeptBars() == 1)
        #expect(try await store.bars(for: BarKey(symbol: "AAPL", interval: .oneMinute), from: 0, to: now) == nil)
        #expect(try await store.bars(for: BarKey(symbol: "AAPL", interval: .oneDay), from: 0, to: now)?.bars == [bar])
    }
}
