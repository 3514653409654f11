import IBKR
import TWSProtocol
import TickhubCore
import Testing

/// Merging TWS ticks into a `Quote`: every field, "no data" prices, delayed ids, and the `changed` result.
@Suite("Quote tick merging")
struct QuoteTicksTests {
    static func quote() -> Quote { Quote(symbol: "AAPL", source: .ibkr) }

    // A mutating call cannot sit inside #expect; these apply a tick and return `changed`.
    func merge(_ q: inout Quote, _ tick: TickPrice) -> Bool { q.apply(tick) }
    func merge(_ q: inout Quote, _ tick: TickSize) -> Bool { q.apply(tick) }
    func merge(_ q: inout Quote, _ tick: TickString) -> Bool { q.apply(tick) }

    static func price(_ type: Int, _ price: Double, size: Double? = nil) -> TickPrice {
        TickPrice(requestID: 1, tickType: type, price: price, size: size)
    }

    static func size(_ type: Int, _ size: Double?) -> TickSize {
        TickSize(requestID: 1, tickType: type, size: size)
    }

    static func string(_ type: Int, _ value: String) -> TickString {
        TickString(requestID: 1, tickType: type, value: value)
    }

    @Test func bidAskAndLastCarryTheirSizes() {
        var q = Self.quote()
        #expect(merge(&q, Self.price(TickType.bid, 230.10, size: 300)))
        #expect(merge(&q, Self.price(TickType.ask, 230.12, size: 200)))
        #expect(merge(&q, Self.price(TickType.last, 230.11, size: 100)))
        #expect(q.bid == 230.10 && q.bidSize == 300)
        #expect(q.ask == 230.12 && q.askSize == 200)
        #expect(q.last == 230.11 && q.lastSize == 100)
        #expect(!q.delayed)
        #expect(q.hasPrice)
    }

    @Test func sizeTicksSetSizesAndVolume() {
        var q = Self.quote()
        #expect(merge(&q, Self.size(TickType.bidSize, 10)))
        #expect(merge(&q, Self.size(TickType.askSize, 20)))
        #expect(merge(&q, Self.size(TickType.lastSize, 30)))
        #expect(merge(&q, Self.size(TickType.volume, 12_345)))
        #expect(q.bidSize == 10 && q.askSize == 20 && q.lastSize == 30 && q.volume == 12_345)
        #expect(!q.hasPrice)
    }

    @Test func sessionStatistics() {
        var q = Self.quote()
        #expect(merge(&q, Self.price(TickType.open, 228)))
        #expect(merge(&q, Self.price(TickType.high, 231.5)))
        #expect(merge(&q, Self.price(TickType.low, 227.25)))
        #expect(merge(&q, Self.price(TickType.close, 229)))
        #expect(q.open == 228 && q.high == 231.5 && q.low == 227.25 && q.close == 229)
        // Statistics alone are not a price to show.
        #expect(!q.hasPrice)
    }

    @Test(arguments: [TickType.bid, TickType.ask, TickType.last])
    func minusOneIsNoPriceAndClearsTheSize(type: Int) {
        var q = Self.quote()
        q.apply(Self.price(type, 10, size: 5))
        #expect(merge(&q, Self.price(type, -1, size: 0)))
        #expect(q.bid == nil && q.ask == nil && q.last == nil)
        #expect(q.bidSize == nil && q.askSize == nil && q.lastSize == nil)
        #expect(!q.hasPrice)
        // Again: nothing left to change.
        #expect(!merge(&q, Self.price(type, -1, size: 0)))
    }

    @Test(arguments: [TickType.high, TickType.low, TickType.close, TickType.open])
    func minusOneStatisticIsNil(type: Int) {
        var q = Self.quote()
        #expect(!merge(&q, Self.price(type, -1)))
        q.apply(Self.price(type, 12))
        #expect(merge(&q, Self.price(type, -1)))
        #expect(q.open == nil && q.high == nil && q.low == nil && q.close == nil)
    }

    @Test func zeroBidIsNoPriceEither() {
        var q = Self.quote()
        q.apply(Self.price(TickType.bid, 0, size: 0))
        #expect(q.bid == nil)
        #expect(q.bidSize == nil)
    }

    /// Delayed ids: 66-68 prices, 69-71 sizes, 72/73/75/76 statistics, 74 volume, 88 last timestamp.
    @Test func delayedIdsLandOnTheSameFieldsAndMarkDelayed() {
        var q = Self.quote()
        q.apply(Self.price(66, 1.5, size: 10))
        #expect(q.delayed)
        q.apply(Self.price(67, 1.6, size: 11))
        q.apply(Self.price(68, 1.55, size: 12))
        q.apply(Self.size(69, 13))
        q.apply(Self.size(70, 14))
        q.apply(Self.size(71, 15))
        q.apply(Self.price(72, 1.9))
        q.apply(Self.price(73, 1.1))
        q.apply(Self.size(74, 999))
        q.apply(Self.price(75, 1.4))
        q.apply(Self.price(76, 1.45))
        q.apply(Self.string(88, "1700000000"))
        #expect(q.bid == 1.5 && q.ask == 1.6 && q.last == 1.55)
        #expect(q.bidSize == 13 && q.askSize == 14 && q.lastSize == 15)
        #expect(q.high == 1.9 && q.low == 1.1 && q.volume == 999 && q.close == 1.4 && q.open == 1.45)
        #expect(q.lastTradeTime == 1_700_000_000_000)
        #expect(q.delayed)
    }

    @Test(arguments: [66, 67, 68, 72, 73, 75, 76])
    func eachDelayedPriceIdSetsDelayed(type: Int) {
        var q = Self.quote()
        #expect(merge(&q, Self.price(type, 2, size: 1)))
        #expect(q.delayed)
        let live = TickType.liveID[type]!
        var expected = Self.quote()
        expected.apply(Self.price(live, 2, size: 1))
        expected.delayed = true
        #expect(q == expected)
    }

    @Test(arguments: [69, 70, 71, 74])
    func eachDelayedSizeIdSetsDelayed(type: Int) {
        var q = Self.quote()
        #expect(merge(&q, Self.size(type, 7)))
        #expect(q.delayed)
    }

    @Test func liveTicksNeverClearDelayed() {
        var q = Self.quote()
        q.apply(Self.price(66, 1, size: 1))
        q.apply(Self.price(TickType.bid, 2, size: 1))
        #expect(q.delayed)
    }

    @Test func lastTimestampSecondsBecomeMilliseconds() {
        var q = Self.quote()
        #expect(merge(&q, Self.string(TickType.lastTimestamp, "1732550400")))
        #expect(q.lastTradeTime == 1_732_550_400_000)
        #expect(!merge(&q, Self.string(TickType.lastTimestamp, "1732550400")))
        #expect(!merge(&q, Self.string(TickType.lastTimestamp, "garbage")))
        #expect(!merge(&q, Self.string(TickType.lastTimestamp, "0")))
        #expect(q.lastTradeTime == 1_732_550_400_000)
    }

    @Test func rtVolumeSetsLastSizeTimeAndVolume() {
        var q = Self.quote()
        #expect(merge(&q, Self.string(TickType.rtVolume, "230.15;200;1732550400123;5000000;230.01;true")))
        #expect(q.last == 230.15)
        #expect(q.lastSize == 200)
        #expect(q.lastTradeTime == 1_732_550_400_123)
        #expect(q.volume == 5_000_000)
        #expect(!merge(&q, Self.string(TickType.rtVolume, "230.15;200;1732550400123;5000000;230.01;true")))
    }

    @Test func rtVolumeWithoutATradeKeepsTheLastPrice() {
        var q = Self.quote()
        q.apply(Self.price(TickType.last, 10, size: 1))
        // An RTVolume without price (volume correction) leaves last alone.
        #expect(merge(&q, Self.string(TickType.rtVolume, ";0;1732550400123;6000000;;false")))
        #expect(q.last == 10)
        #expect(q.volume == 6_000_000)
        #expect(!merge(&q, Self.string(TickType.rtVolume, "1;2")))
    }

    @Test func unknownIdsChangeNothing() {
        var q = Self.quote()
        q.apply(Self.price(TickType.bid, 5, size: 1))
        let before = q
        #expect(!merge(&q, Self.price(99, 42, size: 42)))
        #expect(!merge(&q, Self.price(TickType.halted, 1)))
        #expect(!merge(&q, Self.size(27, 42)))
        #expect(!merge(&q, Self.string(TickType.shortable, "3")))
        #expect(!merge(&q, Self.string(32, "PQXZ")))
        #expect(q == before)
    }

    @Test func changedIsFalseForTheSameValue() {
        var q = Self.quote()
        #expect(merge(&q, Self.price(TickType.bid, 5, size: 1)))
        #expect(!merge(&q, Self.price(TickType.bid, 5, size: 1)))
        // Only the size differs: still a change.
        #expect(merge(&q, Self.price(TickType.bid, 5, size: 2)))
        #expect(!merge(&q, Self.size(TickType.bidSize, 2)))
        #expect(merge(&q, Self.size(TickType.bidSize, 3)))
        #expect(!merge(&q, Self.price(TickType.high, -1)))
    }

    // MARK: Derived values

    @Test func changeAgainstThePreviousClose() {
        var q = Self.quote()
        q.close = 200
        q.last = 210
        #expect(q.change == 10)
        #expect(q.changePercent == 5)
        q.last = 190
        #expect(q.change == -10)
        #expect(q.changePercent == -5)
    }

    @Test func changeUsesTheMidpointWithoutATrade() {
        var q = Self.quote()
        q.close = 1.0
        q.bid = 1.1
        q.ask = 1.3
        #expect(abs(q.midpoint! - 1.2) < 1e-12)
        #expect(abs(q.change! - 0.2) < 1e-12)
        #expect(abs(q.changePercent! - 20) < 1e-9)
    }

    @Test func noChangeWithoutCloseOrPrice() {
        var q = Self.quote()
        q.last = 10
        #expect(q.change == nil && q.changePercent == nil)
        q.close = 0
        #expect(q.change == nil && q.changePercent == nil)
        q.last = nil
        q.close = 9
        #expect(q.change == nil && q.changePercent == nil)
    }

    @Test func midpoint() {
        var q = Self.quote()
        #expect(q.midpoint == nil)
        q.bid = 10
        #expect(q.midpoint == nil)
        q.ask = 10.2
        #expect(abs(q.midpoint! - 10.1) < 1e-12)
        // A locked book has a midpoint.
        q.ask = 10
        #expect(q.midpoint == 10)
        // A crossed book does not.
        q.ask = 9.9
        #expect(q.midpoint == nil)
        #expect(q.price == nil)
    }
}
