import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// The P&L bodies as the API and the `pnl` channel send them: the vocabulary, and numbers rounded to what they
/// are (money to its currency's minor unit, prices to the instrument's decimals, percentages to two).
@Suite struct PnLViewTests {
    let host = FakeHost()
    let time = ManualClock()

    func quote(_ symbol: String, bid: Double, ask: Double, last: Double? = nil, close: Double? = nil) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_796_677_170_123)
        quote.bid = bid
        quote.ask = ask
        quote.last = last
        quote.close = close
        return quote
    }

    func objects(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    /// Every `"name":number` of a JSON text whose name is in `names`, with the decimals it was written with.
    static func decimals(in text: Substring, of names: Set<String>) -> [(String, Int)] {
        let pattern = try! NSRegularExpression(pattern: #""([A-Za-z]+)":(-?[0-9]+)(\.([0-9]+))?([eE][-+]?[0-9]+)?"#)
        let string = String(text)
        return pattern.matches(in: string, range: NSRange(string.startIndex..., in: string)).compactMap { match in
            let name = String(string[Range(match.range(at: 1), in: string)!])
            guard names.contains(name) else { return nil }
            let fraction = Range(match.range(at: 4), in: string).map { string[$0].count } ?? 0
            // An exponent is a number the writer could not round: count it as too many decimals.
            return (name, match.range(at: 5).location == NSNotFound ? fraction : 99)
        }
    }

    static let money: Set<String> = ["marketValue", "unrealizedPnl", "dailyPnl", "brokerUnrealizedPnl", "netLiquidation", "cash"]

    /// Holdings whose figures carry binary noise: 3 × 0.1, a price of 230.10000000000002, a yen position.
    func valuedHub() -> FanoutHub {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        hub.setHoldings("other", [
            Holding(broker: "other", account: "A1", instrument: .stock("AAPL"), quantity: 3, averageCost: 0.1),
            Holding(broker: "other", account: "A1", instrument: .stock("MSFT"), quantity: 7, averageCost: 401.37),
            Holding(broker: "other", account: "A2", instrument: .stock("SONY", currency: "JPY"), quantity: 300, averageCost: 2710.5),
        ])
        hub.setBalances("other", [AccountBalance(account: "A1", tag: "NetLiquidation", value: "100000.0049", currency: "USD"),
                                  AccountBalance(account: "A1", tag: "TotalCashValue", value: "5169.750000000004", currency: "USD")])
        hub.publish(quote("AAPL", bid: 230.09, ask: 230.11, last: 230.10000000000002, close: 228.53), receivedAt: time.clock.now())
        hub.publish(quote("MSFT", bid: 0.1 + 0.2, ask: 0.30000000000000004 + 0.1, close: 0.1), receivedAt: time.clock.now())
        hub.publish(quote("SONY", bid: 2899.5, ask: 2900.5, last: 2900.25, close: 2870.75), receivedAt: time.clock.now())
        hub.publish(quote("JPY.USD", bid: 0.0066666, ask: 0.0066668), receivedAt: time.clock.now())
        return hub
    }

    @Test func noAmountPrintsMoreDecimalsThanItsCurrencysMinorUnit() throws {
        let hub = valuedHub()
        let bodies: [(String, [UInt8])] = [
            ("pnl", hub.pnl.body(hub.market, now: time.clock.nowMicros())),
            ("summary", hub.pnl.summaryBody(hub.market)),
            ("broker positions", try #require(hub.pnl.brokerPositionsBody("other", hub.market, now: time.clock.now()))),
        ]
        for (name, body) in bodies {
            let text = String(decoding: body, as: UTF8.self)
            // Positions one by one: each in its own currency.
            for position in text.split(separator: #"{"broker":"#).dropFirst() {
                let unit = position.contains(#""currency":"JPY""#) ? 0 : 2
                for (field, places) in Self.decimals(in: position.prefix { $0 != "}" }, of: Self.money) {
                    #expect(places <= unit, "\(name): \(field) has \(places) decimals in \(position)")
                }
                for (field, places) in Self.decimals(in: position.prefix { $0 != "}" }, of: ["unrealizedPercent"]) {
                    #expect(places <= 2, "\(name): \(field) has \(places) decimals")
                }
                for (field, places) in Self.decimals(in: position.prefix { $0 != "}" }, of: ["marketPrice"]) {
                    #expect(places <= 4, "\(name): \(field) has \(places) decimals")
                }
            }
            // Totals and the summary are in USD.
            let totals = text.split(separator: #""totals":"#).dropFirst().joined()
            for (field, places) in Self.decimals(in: Substring(name == "summary" ? text : totals), of: Self.money) {
                #expect(places <= 2, "\(name): \(field) has \(places) decimals")
            }
        }
        let pnl = try objects(hub.pnl.body(hub.market, now: 0))
        let positions = try #require(pnl["positions"] as? [[String: Any]])
        let aapl = try #require(positions.first { $0["symbol"] as? String == "AAPL" })
        #expect(aapl["marketPrice"] as? Double == 230.1)
        #expect(aapl["avgCost"] as? Double == 0.1)
        #expect(aapl["marketValue"] as? Double == 690.3)
        #expect(aapl["unrealizedPnl"] as? Double == 690)
        let sony = try #require(positions.first { $0["symbol"] as? String == "SONY" })
        #expect(sony["marketValue"] as? Double == 870_075)
        let summary = try objects(hub.pnl.summaryBody(hub.market))
        #expect(summary["netLiquidation"] as? Double == 100_000)
        #expect(summary["cash"] as? Double == 5169.75)
    }

    /// Totals are rounded once, from the exact sum: three positions of 0.004 each show 0 apiece and 0.01 together.
    @Test func totalsAreRoundedFromTheExactSumNotSummedFromRoundedFigures() throws {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        hub.setHoldings("other", ["AAA", "BBB", "CCC"].map {
            Holding(broker: "other", account: "A1", instrument: .stock($0), quantity: 1, averageCost: 0)
        })
        for symbol in ["AAA", "BBB", "CCC"] { hub.publish(quote(symbol, bid: 0.004, ask: 0.004, last: 0.004), receivedAt: time.clock.now()) }
        let pnl = try objects(hub.pnl.body(hub.market, now: 0))
        let positions = try #require(pnl["positions"] as? [[String: Any]])
        #expect(positions.map { $0["unrealizedPnl"] as? Double } == [0, 0, 0])
        #expect((pnl["totals"] as? [String: Any])?["unrealizedPnl"] as? Double == 0.01)
    }

    @Test func positionsCarryTheQuoteTimeAndOptionsTheirDelta() throws {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let call = try SymbolGrammar.parse("SPY 261218C00600000")
        hub.setHoldings("other", [
            Holding(broker: "other", account: "A1", instrument: call, quantity: -3, averageCost: 12.5),
            Holding(broker: "other", account: "A1", instrument: .stock("IBM"), quantity: 10, averageCost: 100),
        ])
        var option = quote(call.symbol, bid: 12.1, ask: 12.3)
        option.greeks = OptionGreeks(delta: 0.4567891)
        hub.publish(option, receivedAt: time.clock.now())
        let pnl = try objects(hub.pnl.body(hub.market, now: time.now))
        let positions = try #require(pnl["positions"] as? [[String: Any]])
        let spy = try #require(positions.first { $0["secType"] as? String == "OPT" })
        #expect((spy["quoteTimestamp"] as? NSNumber)?.int64Value == 1_796_677_170_123)
        #expect(spy["marketPrice"] as? Double == 12.2)
        #expect(spy["delta"] as? Double == 0.456789)
        // Short three calls of 100 shares at a delta of 0.456789: short 137.04 shares' worth of the underlying.
        #expect(spy["deltaExposure"] as? Double == -137.04)
        let ibm = try #require(positions.first { $0["symbol"] as? String == "IBM" })
        #expect(ibm["quoteTimestamp"] is NSNull, "a position without a quote has no quote time")
        #expect(ibm["delta"] == nil && ibm["deltaExposure"] == nil, "a stock has no delta field")
        #expect(ibm["mark"] == nil && ibm["marketPrice"] is NSNull)
        // The session now, whatever the quote's age: Friday 03:00 in New York is closed, 10:00 open.
        #expect(spy["marketOpen"] as? Bool == false && ibm["marketOpen"] as? Bool == false)
        let friday10 = time.now + 7 * 3_600 * 1_000_000
        let open = try #require(try objects(hub.pnl.body(hub.market, now: friday10))["positions"] as? [[String: Any]])
        #expect(open.allSatisfy { $0["marketOpen"] as? Bool == true })
    }

    @Test func theSummarySaysWhenItsBalancesArrived() throws {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        var summary = try objects(hub.pnl.summaryBody(hub.market))
        #expect(summary["netLiquidationUpdatedAt"] is NSNull && summary["cashUpdatedAt"] is NSNull)
        let first = time.clock.now().milliseconds
        hub.setBalances("ibkr", [AccountBalance(account: "U1", tag: "NetLiquidation", value: "1000", currency: "USD")])
        time.advance(seconds: 5)
        hub.setBalances("other", [AccountBalance(account: "A1", tag: "NetLiquidation", value: "10.5", currency: "USD"),
                                  AccountBalance(account: "A1", tag: "TotalCashValue", value: "2", currency: "USD")])
        summary = try objects(hub.pnl.summaryBody(hub.market))
        #expect(summary["netLiquidation"] as? Double == 1010.5)
        // The sum is as old as its oldest part.
        #expect((summary["netLiquidationUpdatedAt"] as? NSNumber)?.int64Value == first)
        #expect((summary["cashUpdatedAt"] as? NSNumber)?.int64Value == first + 5_000)
    }
}
