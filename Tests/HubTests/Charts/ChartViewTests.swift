import Testing
import TickhubCore

import HubTestSupport
@testable import Hub

/// A shard's copy of a series: how the published series is taken, and how updates change it.
@Suite struct ChartViewTests {
    static let key = BarKey(symbol: "AAPL", interval: .oneMinute)
    static let start: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000

    static func bar(_ index: Int64, _ close: Double) -> Bar {
        Bar(time: start + index * 60_000, open: close, high: close, low: close, close: close, volume: 1)
    }

    static func update(_ index: Int64, _ close: Double) -> EncodedBar { EncodedBar(key, bar(index, close), source: .ibkr) }

    func view(_ indices: [Int64]) -> ChartView {
        var view = ChartView()
        view.store(EncodedBarSeries(Self.key, bars: indices.map { Self.bar($0, 100 + Double($0)) }, source: .ibkr, lastComplete: true))
        return view
    }

    @Test func aPublishedSeriesIsCheckedOrderedAndBounded() {
        var bars = (0..<Int64(EncodedBarSeries.limit + 10)).map { Self.bar($0, 100) }.reversed().map { $0 }
        bars.append(Bar(time: Self.start, open: 5, high: 1, low: 2, close: 3))   // high below low: left out
        bars.append(Self.bar(Int64(EncodedBarSeries.limit + 9), 120))          // the same time again: the later wins
        let series = EncodedBarSeries(Self.key, bars: bars, source: .yahoo, lastComplete: true)
        #expect(series.bars.count == EncodedBarSeries.limit)
        #expect(series.bars.first?.time == Self.start + 10 * 60_000, "the newest are kept")
        #expect(zip(series.bars, series.bars.dropFirst()).allSatisfy { $0.time < $1.time })
        #expect(series.bars.last?.close == 120)
    }

    @Test func aNewerBarIsAppendedTheSameTimeReplacedAnEarlierOneCorrected() {
        var view = view([0, 1, 3])
        let taken = [Self.update(4, 104), Self.update(4, 105), Self.update(1, 99), Self.update(2, 102)].map { view.update($0) }
        // The provider's own bar corrects one built from trades; a bar missing between two is put in its place.
        #expect(taken == [true, true, true, true])
        #expect(view.bars(Self.key)?.map(\.close) == [100, 99, 102, 103, 105])
        let older = view.update(Self.update(-1, 90))
        #expect(!older, "older than everything kept")
        let uncopied = view.update(EncodedBar(BarKey(symbol: "MSFT", interval: .oneMinute), Self.bar(0, 1), source: .ibkr))
        #expect(!uncopied, "no copy")
    }

    @Test func theCopyStaysWithinTheLimit() {
        var view = view((0..<Int64(EncodedBarSeries.limit)).map { $0 })
        let taken = view.update(Self.update(Int64(EncodedBarSeries.limit), 1))
        #expect(taken)
        #expect(view.bars(Self.key)?.count == EncodedBarSeries.limit)
        #expect(view.bars(Self.key)?.first?.time == Self.start + 60_000)
    }

    @Test func theSnapshotIsEncodedOncePerStateOfTheCopy() {
        var view = view([0, 1])
        let published = view.snapshot(Self.key)
        let again = view.snapshot(Self.key)
        #expect(published != nil && published === again)
        #expect(String(decoding: published!.bytes, as: UTF8.self).contains(#""lastComplete":true"#))
        _ = view.update(Self.update(2, 102))
        let after = view.snapshot(Self.key)
        let afterAgain = view.snapshot(Self.key)
        #expect(after !== published)
        #expect(after === afterAgain)
        let text = String(decoding: after!.bytes, as: UTF8.self)
        #expect(text.contains(#""close":102,"#) && text.contains(#""lastComplete":false"#), "the forming bar is not complete")
    }
}
