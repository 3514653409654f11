import Foundation
import HubProtocol
import HubTestSupport
import Synchronization
import Testing
import TickhubCore

@testable import Hub

/// The paths the users' dashboards call: each alias answers what its original answers, and the few with a shape of
/// their own are made from the same state.
@Suite struct CompatibilityRoutesTests {
    /// A broker link the test switches: connect makes it ready, disconnect disconnected.
    final class SwitchedLink: ConnectionControl {
        let state = Mutex<BrokerConnectionState>(.ready)
        let commands = Mutex<[Bool]>([])
        func status() async -> BrokerConnectionStatus? {
            BrokerConnectionStatus(state: state.withLock { $0 }, host: "127.0.0.1", port: 4002, clientId: 7, accounts: ["DU1"])
        }
        func setConnected(_ connected: Bool) async {
            commands.withLock { $0.append(connected) }
            state.withLock { $0 = connected ? .ready : .disconnected }
        }
    }

    let host = FakeHost()
    let time = ManualClock()
    let link = SwitchedLink()

    func hub(link: SwitchedLink? = nil) -> FanoutHub {
        let hub = FanoutHub(configuration: ServerConfiguration(), host: host, wiring: HubWiring(upstream: host.upstream, connection: link),
                            frameHeadroom: 16, clock: time.clock)
        hub.setHoldings("ibkr", [Holding(broker: "ibkr", account: "DU1", instrument: .stock("AAPL"), quantity: 10, averageCost: 150)])
        hub.setHoldings("manual", [Holding(broker: "manual", account: "M1", instrument: .stock("IBM"), quantity: 5, averageCost: 100)])
        hub.setBalances("ibkr", [
            AccountBalance(account: "DU1", tag: "NetLiquidation", value: "100000.50", currency: "USD"),
            AccountBalance(account: "DU1", tag: "TotalCashValue", value: "20000.25", currency: "USD"),
            AccountBalance(account: "DU1", tag: "BuyingPower", value: "400000.00", currency: "USD"),
            AccountBalance(account: "DU1", tag: "AccountType", value: "INDIVIDUAL", currency: ""),
            AccountBalance(account: "DU2", tag: "NetLiquidation", value: "50000.00", currency: "USD"),
            AccountBalance(account: "DU2", tag: "TotalCashValue", value: "1000.00", currency: "USD"),
        ])
        hub.publish(quote("AAPL", bid: 199.9, ask: 200.1), receivedAt: time.clock.now())
        hub.publish(quote("IBM", bid: 119.9, ask: 120.1), receivedAt: time.clock.now())
        return hub
    }

    func quote(_ symbol: String, bid: Double, ask: Double) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: time.now / 1_000)
        quote.bid = bid
        quote.ask = ask
        quote.close = bid - 5
        return quote
    }

    func get(_ hub: FanoutHub, _ path: String, method: HTTPRequest.Method = .get) async -> HTTPResponse? {
        await hub.answer(HTTPRequest(method: method, path: path, headers: ["host": "127.0.0.1:8080"]))
    }

    func json(_ response: HTTPResponse?) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response?.body ?? []))) as? [String: Any] ?? [:]
    }

    @Test(arguments: [
        ("/api/trading/ibkr/status", "/api/ibkr/status"), ("/api/trading/ibkr/positions", "/api/brokers/ibkr/positions"),
        ("/api/trading/portfolio/summary", "/api/portfolio/summary"), ("/api/portfolio/combined", "/api/portfolio/pnl"),
    ])
    func anAliasAnswersWhatItsOriginalAnswers(alias: String, original: String) async {
        let hub = hub(link: link)
        let (old, new) = (await get(hub, alias), await get(hub, original))
        #expect(old?.status == 200 && new?.status == 200)
        #expect(old?.text == new?.text)
        #expect(old?.text.contains("AAPL") == true || alias.hasSuffix("status") || alias.hasSuffix("summary"))
    }

    @Test func theTradingConnectAndDisconnectDriveTheLink() async {
        let hub = hub(link: link)
        #expect(json(await get(hub, "/api/trading/ibkr/disconnect", method: .post))["state"] as? String == "disconnected")
        #expect(json(await get(hub, "/api/trading/ibkr/connect", method: .post))["state"] as? String == "ready")
        #expect(link.commands.withLock { $0 } == [false, true])
    }

    @Test func healthCarriesTheBrokerAsTheWebhookServerDid() async throws {
        let hub = hub(link: link)
        let up = json(await get(hub, "/health"))
        let broker = try #require(up["broker"] as? [String: Any])
        #expect(broker["connected"] as? Bool == true)
        #expect(broker["host"] as? String == "127.0.0.1" && broker["port"] as? Int == 4002 && broker["clientId"] as? Int == 7)
        #expect(["ok", "degraded", "down"].contains(up["status"] as? String))
        await link.setConnected(false)
        let down = try #require(json(await get(hub, "/health"))["broker"] as? [String: Any])
        #expect(down["connected"] as? Bool == false && down["state"] as? String == "disconnected")
    }

    @Test func healthWithoutIBKRSaysSoWithoutInventingAnAddress() async throws {
        let broker = try #require(json(await get(hub(), "/health"))["broker"] as? [String: Any])
        #expect(broker["connected"] as? Bool == false && broker["state"] as? String == "disabled")
        #expect(broker["host"] is NSNull && broker["port"] is NSNull && broker["clientId"] is NSNull)
    }

    @Test func theAccountIsIBKRsBalancesByNameSummedInOneCurrency() async throws {
        let body = json(await get(hub(link: link), "/api/trading/ibkr/account"))
        #expect(body["currency"] as? String == "USD")
        #expect(body["netLiquidation"] as? Double == 150000.5)
        #expect(body["cash"] as? Double == 21000.25)
        #expect(body["buyingPower"] is NSNull, "DU2 did not report it: a sum of one account's would mislead")
        let accounts = try #require(body["accounts"] as? [[String: Any]])
        #expect(accounts.map { $0["account"] as? String } == ["DU1", "DU2"])
        #expect(accounts[0]["buyingPower"] as? Double == 400000)
    }

    @Test func accountsInDifferentCurrenciesAreNotAdded() {
        let body = String(decoding: CompatibilityRoutes.accountBody([
            AccountBalance(account: "A", tag: "NetLiquidation", value: "10", currency: "USD"),
            AccountBalance(account: "B", tag: "NetLiquidation", value: "1000", currency: "JPY"),
        ]), as: UTF8.self)
        #expect(body.hasPrefix(#"{"currency":null,"netLiquidation":null,"#), "\(body)")
    }

    @Test func combinedPnLIsThePnLTotalsByBroker() async throws {
        let hub = hub(link: link)
        let combined = json(await get(hub, "/api/portfolio/combined/pnl"))
        let pnl = json(await get(hub, "/api/portfolio/pnl"))
        #expect(combined["positions"] == nil)
        #expect(NSDictionary(dictionary: combined["totals"] as? [String: Any] ?? [:]).isEqual(to: pnl["totals"] as? [String: Any] ?? ["": 0]))
        #expect(NSDictionary(dictionary: combined["byBroker"] as? [String: Any] ?? [:]).isEqual(to: pnl["byBroker"] as? [String: Any] ?? ["": 0]))
        #expect((combined["byBroker"] as? [String: Any])?.keys.sorted() == ["ibkr", "manual"])
    }

    @Test func aBrokerConnectsOnlyWhenItHasALinkToMake() async {
        let hub = hub(link: link)
        await link.setConnected(false)
        let ibkr = await get(hub, "/api/brokers/ibkr/connect", method: .post)
        #expect(ibkr?.status == 200 && json(ibkr)["state"] as? String == "ready")
        let manual = await get(hub, "/api/brokers/manual/connect", method: .post)
        #expect(manual?.status == 409 && manual?.text.contains("not_connectable") == true)
        let unknown = await get(hub, "/api/brokers/schwab/connect", method: .post)
        #expect(unknown?.status == 404 && unknown?.text.contains("unknown_broker") == true)
        let read = await get(hub, "/api/brokers/ibkr/connect")
        #expect(read?.status == 405 && read?.header["allow"] == "POST, OPTIONS")
    }

    @Test func withoutIBKRItsAliasesSayItIsDisabled() async {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        for path in ["/api/trading/ibkr/status", "/api/trading/ibkr/account"] {
            let response = await get(hub, path)
            #expect(response?.status == 503 && response?.text.contains("ibkr_disabled") == true, "\(path)")
        }
        #expect(await get(hub, "/api/brokers/ibkr/connect", method: .post)?.status == 503)
    }
}
