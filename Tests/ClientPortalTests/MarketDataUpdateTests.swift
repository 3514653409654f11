import ClientPortal
import Foundation
import Testing
import TickhubCore

@Suite("Market data updates")
struct MarketDataUpdateTests {
    static let now: Int64 = 1_733_505_700_000

    @Test func primingReplyIsRecognisedAndChangesNothing() throws {
        let reply = try MarketDataUpdate.decodeSnapshot(try Recordings.data("snapshot_priming.json"))
        #expect(reply.refused.isEmpty)
        #expect(reply.updates.map(\.conid) == [265598, 8314])
        let holds = reply.updates.allSatisfy(\.isPriming)
        #expect(holds)
        var quote = Quote(symbol: "AAPL", source: .ibkr)
        let changed = quote.apply(reply.updates[0], receivedAt: Self.now)
        #expect(!changed)
        #expect(quote == Quote(symbol: "AAPL", source: .ibkr))
    }

    @Test func snapshotRowWithEveryFormat() throws {
        let reply = try MarketDataUpdate.decodeSnapshot(try Recordings.data("snapshot_AAPL_IBM.json"))
        #expect(reply.refused.isEmpty)
        let aapl = try #require(reply.updates.first { $0.conid == 265598 })
        #expect(!aapl.isPriming)
        #expect(aapl.updated == 1_733_505_600_123)
        #expect(aapl.availability == MarketDataAvailability(timeline: .realTime, structure: "pB"))
        #expect(aapl.values[.askSize] == FormattedValue(value: 1300))
        #expect(aapl.values[.volume] == FormattedValue(value: 45_600_000, isApproximate: true))
        #expect(aapl.values[.changePercent] == FormattedValue(value: 0.08))

        var quote = Quote(symbol: "AAPL", source: .yahoo)
        let changed = quote.apply(aapl, receivedAt: Self.now)
        #expect(changed)
        #expect(quote.last == 243.04 && quote.bid == 243.03 && quote.ask == 243.05)
        #expect(quote.bidSize == 400 && quote.askSize == 1300 && quote.lastSize == 100)
        // The exact 7762, not the rounded 87 beside it.
        #expect(quote.volume == 45_612_345)
        #expect(quote.high == 244.11 && quote.low == 241.25 && quote.open == 242.87)
        #expect(quote.close == 242.84)
        #expect(quote.timestamp == 1_733_505_600_123)
        #expect(quote.source == .ibkr && !quote.delayed && !quote.stale)
    }

    /// conid and _updated as strings; "C" last; empty and "N/A" fields; delayed; only a rounded volume.
    @Test func looseRowReadStrictly() throws {
        let reply = try MarketDataUpdate.decodeSnapshot(try Recordings.data("snapshot_AAPL_IBM.json"))
        let ibm = try #require(reply.updates.first { $0.conid == 8314 })
        #expect(ibm.updated == 1_733_505_600_456)
        #expect(ibm.values[.last] == FormattedValue(value: 238.04, isPriorClose: true))
        #expect(ibm.values[.bid] == .some(nil))
        #expect(ibm.values[.ask] == .some(nil))

        var quote = Quote(symbol: "IBM", source: .ibkr)
        quote.bid = 230
        quote.ask = 231
        quote.last = 230.5
        let changed = quote.apply(ibm, receivedAt: Self.now)
        #expect(changed)
        // The prior close is not a trade: no last, and the close holds it.
        #expect(quote.last == nil)
        #expect(quote.close == 238.04)
        // Fields sent without a number clear what they held: never an old price shown as current.
        #expect(quote.bid == nil && quote.ask == nil)
        // "1.2K" fills a volume the quote lacked, rounded as it is.
        #expect(quote.volume == 1_200)
        #expect(quote.delayed && !quote.stale)
    }

    @Test func priorCloseMarkerFillsCloseOnlyWithoutAnExplicitOne() {
        var quote = Quote(symbol: "X", source: .ibkr)
        let update = MarketDataUpdate(conid: 1, values: [.last: FormattedValue(value: 10, isPriorClose: true), .priorClose: FormattedValue(value: 9.5)])
        quote.apply(update, receivedAt: Self.now)
        #expect(quote.close == 9.5 && quote.last == nil)
    }

    @Test func missingFieldsKeepTheirValues() {
        var quote = Quote(symbol: "X", source: .ibkr)
        quote.apply(MarketDataUpdate(conid: 1, updated: 1, values: [.bid: FormattedValue(value: 10), .ask: FormattedValue(value: 10.1)]), receivedAt: 5)
        let changed = quote.apply(MarketDataUpdate(conid: 1, updated: 2, values: [.last: FormattedValue(value: 10.05)]), receivedAt: 5)
        #expect(changed)
        #expect(quote.bid == 10 && quote.ask == 10.1 && quote.last == 10.05 && quote.timestamp == 2)
        // The same values again: nothing changed, and the stamp stays.
        let changedAgain = quote.apply(MarketDataUpdate(conid: 1, updated: 3, values: [.last: FormattedValue(value: 10.05)]), receivedAt: 5)
        #expect(!changedAgain)
        #expect(quote.timestamp == 2)
    }

    @Test func roundedVolumeNeverReplacesAnExactOne() {
        var quote = Quote(symbol: "X", source: .ibkr)
        quote.apply(MarketDataUpdate(conid: 1, values: [.volumeLong: FormattedValue(value: 45_612_345)]), receivedAt: 1)
        let changed = quote.apply(MarketDataUpdate(conid: 1, values: [.volume: FormattedValue(value: 45_700_000, isApproximate: true)]), receivedAt: 2)
        #expect(!changed)
        #expect(quote.volume == 45_612_345)
        quote.apply(MarketDataUpdate(conid: 1, values: [.volume: FormattedValue(value: 45_612_400)]), receivedAt: 3)
        #expect(quote.volume == 45_612_400)
    }

    @Test func zeroAndNegativePricesAreNoPrice() {
        var quote = Quote(symbol: "X", source: .ibkr)
        quote.bid = 5
        quote.apply(MarketDataUpdate(conid: 1, values: [.bid: FormattedValue(value: 0), .ask: FormattedValue(value: -1), .bidSize: FormattedValue(value: 0)]), receivedAt: 1)
        #expect(quote.bid == nil && quote.ask == nil && quote.bidSize == 0)
    }

    @Test func frozenIsStaleAndRealTimeIsLiveAgain() {
        var quote = Quote(symbol: "X", source: .ibkr)
        quote.apply(MarketDataUpdate(conid: 1, values: [.last: FormattedValue(value: 1)], availability: MarketDataAvailability(code: "Y")), receivedAt: 1)
        #expect(quote.stale && quote.delayed)
        quote.apply(MarketDataUpdate(conid: 1, availability: MarketDataAvailability(code: "RpB")), receivedAt: 2)
        #expect(!quote.stale && !quote.delayed)
    }

    @Test func greeksMergeFieldByFieldWithVolatilityAsAFraction() throws {
        let message = #"{"topic":"smd+707316470","conid":707316470,"_updated":5,"7308":"0.512","7309":"0.021","7310":"-0.153","7311":"0.334","7633":"24.5%"}"#
        guard case let .marketData(update) = StreamMessage.decode(Data(message.utf8)) else { Issue.record("not market data"); return }
        var quote = Quote(symbol: "AAPL 260116C00250000", source: .ibkr)
        let changed = quote.apply(update, receivedAt: 1)
        #expect(changed)
        let greeks = try #require(quote.greeks)
        #expect(greeks.delta == 0.512 && greeks.gamma == 0.021 && greeks.theta == -0.153 && greeks.vega == 0.334)
        #expect(abs(greeks.impliedVolatility! - 0.245) < 1e-12)
        quote.apply(MarketDataUpdate(conid: 707316470, values: [.delta: FormattedValue(value: 0.6)]), receivedAt: 2)
        #expect(quote.greeks?.delta == 0.6 && quote.greeks?.gamma == 0.021)
    }

    @Test func rowWithoutAConidIsRefusedAlone() throws {
        let body = #"[{"31":"1"},{"conid":"abc","31":"2"},{"conid":5,"31":"3"},7,{"conidEx":"6@SMART","84":"1"}]"#
        let reply = try MarketDataUpdate.decodeSnapshot(Data(body.utf8))
        #expect(reply.updates.map(\.conid) == [5, 6])
        #expect(reply.refused.count == 3)
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataUpdate.decodeSnapshot(Data(#"{"error":"no bridge"}"#.utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try MarketDataUpdate.decodeSnapshot(Data("not json".utf8)) }
    }

    @Test func conidFormsAndBadOnes() throws {
        for (json, conid) in [(#"{"conid":265598}"#, 265598), (#"{"conid":"265598"}"#, 265598), (#"{"topic":"smd+265598"}"#, 265598),
                              (#"{"conidEx":"265598@SMART"}"#, 265598), (#"{"topic":"smd+265598@SMART"}"#, 265598)] {
            #expect(try MarketDataUpdate.decode(try JSONValue.decode(Data(json.utf8))).conid == conid)
        }
        for json in [#"{"conid":0}"#, #"{"conid":-5}"#, #"{"conid":1.5}"#, #"{"conid":"12a"}"#, #"{"conid":1e300}"#, #"{"conid":true}"#, #"{}"#] {
            #expect(throws: ClientPortalDecodingError.self) { try MarketDataUpdate.decode(try JSONValue.decode(Data(json.utf8))) }
        }
    }
}
