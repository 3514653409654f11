import HubProtocol
import HubTestSupport
import Testing
import TickhubCore

@testable import Hub

/// `GET /api/market-data/quote/<symbol>`: the answer prepared once per update, and the same whichever spelling asks.
@Suite struct QuoteLookupTests {
    let host = FakeHost()
    let time = ManualClock()

    func lookup(_ hub: FanoutHub, _ symbol: String) async -> HTTPResponse? {
        await hub.answer(HTTPRequest(method: .get, path: "/api/market-data/quote/" + symbol, headers: ["host": "127.0.0.1:8080"]))
    }

    func publish(_ hub: FanoutHub, bid: Double, at micros: Int64) {
        var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1_800_000_000_000)
        quote.bid = bid
        quote.ask = bid + 0.02
        hub.publish(quote, receivedAt: Timestamp(microseconds: micros))
    }

    @Test func aFollowedSymbolIsAnsweredFromTheLatestUpdate() async throws {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        #expect(await lookup(hub, "aapl") == nil, "no quote yet: the request waits for the first")
        publish(hub, bid: 230.09, at: 1)
        let first = try #require(await lookup(hub, "AAPL"))
        #expect(first.status == 200)
        #expect(first.text.contains(#""bid":230.09"#))
        #expect(first.wire(omittingBody: false) == (await lookup(hub, "AAPL"))?.wire(omittingBody: false))
        #expect((await lookup(hub, " aapl "))?.body == first.body, "another spelling of the same instrument")
        publish(hub, bid: 231.5, at: 2)
        let second = try #require(await lookup(hub, "AAPL"))
        #expect(second.text.contains(#""bid":231.5"#), "an update is never answered with the one before")
        #expect(String(decoding: second.wire(omittingBody: false), as: UTF8.self).hasSuffix("\r\n\r\n" + second.text))
    }

    @Test func aSymbolTheGrammarRefusesIsStill400() async {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let response = await lookup(hub, "A$PL")
        #expect(response?.status == 400)
        #expect(response?.text.contains("invalid_symbol") == true)
    }
}
