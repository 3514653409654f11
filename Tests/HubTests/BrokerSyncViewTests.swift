import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// Two brokers side by side: TastyTrade's own figures beside Tickhub's, the positions Tickhub cannot value listed and
/// counted apart, and a synced broker's state where an operator and the dashboard look.
@Suite struct BrokerSyncViewTests {
    let host = FakeHost()
    let time = ManualClock()

    static let future = UnvaluedHolding(
        broker: "tastytrade", account: "5WT00001", symbol: "/ESZ6", secType: "Future", quantity: -1, multiplier: 50, averageCost: 6012.25,
        currency: "USD", reason: "futures are not in Tickhub's symbol grammar")

    func hub() -> FanoutHub {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        hub.setHoldings("ibkr", [Holding(broker: "ibkr", account: "DU1", instrument: .stock("AAPL"), quantity: 10, averageCost: 100)])
        hub.setHoldings("tastytrade", [
            Holding(broker: "tastytrade", account: "5WT00001", instrument: .stock("AAPL"), quantity: -5, averageCost: 120,
                    brokerUnrealizedPnL: -400.004, brokerMarketPrice: 199.99, brokerClosePrice: 195.5),
        ], unvalued: [Self.future])
        var quote = Quote(symbol: "AAPL", source: .tastytrade, timestamp: 1_796_677_170_123)
        quote.bid = 199.99
        quote.ask = 200.01
        quote.last = 200
        quote.close = 196
        hub.publish(quote, receivedAt: time.clock.now())
        return hub
    }

    func object(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    @Test func theBrokersFiguresStandBesideTickhubsAndTheUnvaluedCountApart() throws {
        let hub = hub()
        let body = try object(hub.pnl.body(hub.market, now: time.clock.nowMicros()))
        let positions = try #require(body["positions"] as? [[String: Any]])
        #expect(positions.count == 3)
        let tasty = try #require(positions.first { $0["broker"] as? String == "tastytrade" && $0["symbol"] as? String == "AAPL" })
        #expect(tasty["marketPrice"] as? Double == 200 && tasty["unrealizedPnl"] as? Double == -400)
        #expect(tasty["brokerMarketPrice"] as? Double == 199.99 && tasty["brokerClosePrice"] as? Double == 195.5)
        #expect(tasty["brokerUnrealizedPnl"] as? Double == -400)
        #expect(tasty["valued"] == nil)
        let future = try #require(positions.first { $0["symbol"] as? String == "/ESZ6" })
        #expect(future["valued"] as? Bool == false && future["unvaluedReason"] as? String == Self.future.reason)
        #expect(future["secType"] as? String == "Future" && future["quantity"] as? Double == -1 && future["multiplier"] as? Double == 50)
        #expect(future["marketPrice"] == nil && future["unrealizedPnl"] == nil)

        // The combined total sums both brokers' valued positions; the future counts as a position, unvalued.
        let totals = try #require(body["totals"] as? [String: Any])
        #expect(totals["positions"] as? Int == 3 && totals["unvalued"] as? Int == 1)
        #expect(totals["unrealizedPnl"] as? Double == 600)
        let byBroker = try #require(body["byBroker"] as? [String: [String: Any]])
        #expect(byBroker["tastytrade"]?["unvalued"] as? Int == 1 && byBroker["tastytrade"]?["positions"] as? Int == 2)
        #expect(byBroker["ibkr"]?["unvalued"] as? Int == 0 && byBroker["ibkr"]?["unrealizedPnl"] as? Double == 1000)
        let byAccount = try #require(body["byAccount"] as? [String: [String: Any]])
        #expect(byAccount["tastytrade:5WT00001"]?["unvalued"] as? Int == 1)

        let summary = try object(hub.pnl.summaryBody(hub.market))
        #expect(summary["positions"] as? Int == 3 && summary["unvalued"] as? Int == 1)
        let brokerPositions = try object(try #require(hub.pnl.brokerPositionsBody("tastytrade", hub.market, now: time.clock.now())))
        #expect((brokerPositions["positions"] as? [[String: Any]])?.map { $0["symbol"] as? String } == ["AAPL", "/ESZ6"])
    }

    @Test func aSyncedBrokersStateShowsInHealthAndBrokers() async throws {
        let hub = hub()
        hub.apply(.brokerSync(BrokerSyncStatus(broker: "tastytrade", state: .live, accounts: ["5WT00001"], lastSyncAt: 1_796_677_170_000)))
        let brokers = try object(try #require(await hub.answer(HTTPRequest(method: .get, path: "/api/brokers", query: [:], headers: [:], body: []))).body)
        let list = try #require(brokers["brokers"] as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == ["ibkr", "tastytrade"])
        #expect(list[0]["sync"] == nil, "only a synced broker has a sync")
        let sync = try #require(list[1]["sync"] as? [String: Any])
        #expect(sync["state"] as? String == "live" && sync["accounts"] as? [String] == ["5WT00001"] && sync["lastSyncAt"] as? Int64 == 1_796_677_170_000)
        #expect(list[1]["positions"] as? Int == 2 && list[1]["unvalued"] as? Int == 1)

        hub.setBrokerStatus(BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 4002, clientId: 1))
        let healthy = try object(try #require(await hub.answer(HTTPRequest(method: .get, path: "/api/health"))).body)
        #expect(healthy["status"] as? String == "ok")

        let detail = "TastyTrade refused the refresh token (revoked): create a new grant at my.tastytrade.com and set TASTYTRADE_REFRESH_TOKEN"
        hub.apply(.brokerSync(BrokerSyncStatus(broker: "tastytrade", state: .error, detail: detail, accounts: ["5WT00001"])))
        let health = try object(try #require(await hub.answer(HTTPRequest(method: .get, path: "/api/health", query: [:], headers: [:], body: []))).body)
        let entries = try #require(health["brokers"] as? [[String: Any]])
        #expect(entries.count == 1 && entries[0]["name"] as? String == "tastytrade" && entries[0]["state"] as? String == "error")
        #expect(entries[0]["detail"] as? String == detail && entries[0]["lastSyncAt"] is NSNull)
        #expect(health["status"] as? String == "degraded", "positions that may be out of date are not ok")
    }

    @Test func aBrokerKnownOnlyByItsSyncIsStillABroker() async throws {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        hub.apply(.brokerSync(BrokerSyncStatus(broker: "tastytrade", state: .connecting)))
        #expect(hub.pnl.brokerPositionsBody("tastytrade", hub.market, now: time.clock.now()).map { String(decoding: $0, as: UTF8.self) } == #"{"positions":[]}"#)
        #expect(hub.pnl.brokerBalancesBody("tastytrade").map { String(decoding: $0, as: UTF8.self) } == #"{"balances":[]}"#)
        #expect(hub.pnl.brokerPositionsBody("schwab", hub.market, now: time.clock.now()) == nil)
        // Nothing to connect: the sync keeps itself up, and says so rather than "no such broker".
        let connect = try #require(await hub.answer(HTTPRequest(method: .post, path: "/api/brokers/tastytrade/connect")))
        #expect(connect.status == 409 && connect.text.contains("synced from its API"))
    }
}
