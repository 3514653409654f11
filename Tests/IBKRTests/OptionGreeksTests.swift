import IBKR
import TWSProtocol
import TickhubCore
import Testing

/// tickOptionComputation into `Quote.greeks`: which computation wins, "not computed" values, and the simulator's
/// option end to end.
@Suite("Option greeks", .timeLimit(.minutes(2)))
struct OptionGreeksTests {
    static func computation(_ type: Int, delta: Double?, iv: Double? = 0.16, underlying: Double? = 560.4) -> TickOptionComputation {
        TickOptionComputation(
            requestID: 1, tickType: type, tickAttrib: 0, impliedVolatility: iv, delta: delta, optionPrice: 29.6,
            pvDividend: 0, gamma: 0.0044, vega: 2.27, theta: -0.073, underlyingPrice: underlying)
    }

    /// Applies in order; returns each `changed`, the quote and the tick type its greeks came from.
    static func merge(_ ticks: [TickOptionComputation]) -> (changed: [Bool], quote: Quote, held: Int?) {
        var quote = Quote(symbol: "SPY 271217C00600000", source: .ibkr)
        var held: Int?
        let changed = ticks.map { quote.apply($0, held: &held) }
        return (changed, quote, held)
    }

    @Test func theModelSetsEveryGreek() throws {
        let (changed, quote, held) = Self.merge([Self.computation(TickType.modelOptionComputation, delta: 0.467)])
        #expect(changed == [true])
        #expect(held == TickType.modelOptionComputation)
        let greeks = try #require(quote.greeks)
        #expect(greeks == OptionGreeks(
            impliedVolatility: 0.16, delta: 0.467, gamma: 0.0044, vega: 2.27, theta: -0.073, underlyingPrice: 560.4))
        #expect(!quote.delayed)
    }

    @Test func onceTheModelIsSeenTheBidAskAndLastDoNotReplaceIt() {
        let (changed, quote, _) = Self.merge([
            Self.computation(TickType.bidOptionComputation, delta: 0.41),
            Self.computation(TickType.modelOptionComputation, delta: 0.467),
            Self.computation(TickType.bidOptionComputation, delta: 0.42),
            Self.computation(TickType.lastOptionComputation, delta: 0.43),
            Self.computation(TickType.modelOptionComputation, delta: 0.468),
        ])
        #expect(changed == [true, true, false, false, true])
        #expect(quote.greeks?.delta == 0.468)
    }

    @Test func withoutTheModelTheLastTradeStandsInThenTheBidOrAsk() {
        let (changed, quote, held) = Self.merge([
            Self.computation(TickType.askOptionComputation, delta: 0.48),
            Self.computation(TickType.bidOptionComputation, delta: 0.46),
            Self.computation(TickType.lastOptionComputation, delta: 0.47),
            Self.computation(TickType.askOptionComputation, delta: 0.49),
        ])
        #expect(changed == [true, true, true, false])
        #expect(quote.greeks?.delta == 0.47 && held == TickType.lastOptionComputation)
    }

    @Test func notComputedIsNilAndDelayedIdsMarkTheQuoteDelayed() {
        let (changed, quote, held) = Self.merge([
            Self.computation(TickType.delayedModelOptionComputation, delta: nil, iv: nil, underlying: nil),
        ])
        #expect(changed == [true])
        #expect(quote.greeks?.delta == nil && quote.greeks?.impliedVolatility == nil && quote.greeks?.gamma == 0.0044)
        #expect(quote.delayed && held == TickType.modelOptionComputation)
    }

    @Test func otherComputationsAreIgnored() {
        // 53 is a custom computation (calculateOptionPrice), not about the quote's prices.
        let (changed, quote, held) = Self.merge([Self.computation(53, delta: 0.5)])
        #expect(changed == [false] && quote.greeks == nil && held == nil)
    }

    @Test func theSimulatorsOptionArrivesWithGreeks() async throws {
        let option = Instruments.spyCall
        try await withSimulatorAndProvider(subscribe: [option, .stock("SPY")]) { h in
            try await h.events.awaitState(.ready)
            let quotes = try await h.events.awaitFreshQuotes([option.symbol, "SPY"]) {
                $0.symbol == "SPY" ? $0.bid != nil : $0.greeks?.delta != nil
            }
            let greeks = try #require(quotes[option.symbol]?.greeks)
            let delta = try #require(greeks.delta)
            #expect(delta > 0 && delta < 1)
            #expect(abs((greeks.impliedVolatility ?? 0) - 0.01 * 252.0.squareRoot()) < 1e-9)
            let underlying = try #require(greeks.underlyingPrice)
            let spy = try #require(quotes["SPY"]?.bid)
            #expect(abs(underlying - spy) < 1, "underlying \(underlying), SPY bid \(spy)")
            #expect((greeks.theta ?? 0) < 0 && (greeks.gamma ?? 0) > 0 && (greeks.vega ?? 0) > 0)
        }
    }
}
