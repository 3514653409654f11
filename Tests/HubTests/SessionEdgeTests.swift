import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// `marketOpen` when the session closes and no quote comes after it: the streamed quote is sent again.
@Suite struct SessionEdgeTests {
    let host = FakeHost()
    let time = ManualClock()

    /// The test clock starts on Friday 15 January 2027, 03:00 New York time; 15:59 is 46,740 s later.
    func atFiveToClose() { time.advance(seconds: 46_740) }

    func messages(_ connection: FakeConnection, _ symbol: String) -> [[String: Any]] {
        connection.messages.filter { $0["type"] as? String == "quote" && $0["symbol"] as? String == symbol }
    }

    @Test func aStreamedQuoteIsSentAgainWhenItsSessionCloses() {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        atFiveToClose()
        let connection = FakeConnection()
        let client = hub.open(connection, publisher: false)
        hub.receive(Array(#"{"op":"subscribe","symbols":["SPY 270115C00600000","BTC"]}"#.utf8), from: client)
        for symbol in ["SPY 270115C00600000", "BTC"] {
            var quote = Quote(symbol: symbol, source: .ibkr, timestamp: time.now / 1000)
            quote.bid = 12.1
            quote.ask = 12.3
            hub.publish(quote, receivedAt: time.clock.now())
        }
        hub.housekeeping(secondElapsed: true)
        hub.flushWrites()
        #expect(messages(connection, "SPY 270115C00600000").last?["marketOpen"] as? Bool == true)
        // Within the session: nothing is sent again.
        time.advance(seconds: 30)
        hub.housekeeping(secondElapsed: true)
        hub.flushWrites()
        #expect(messages(connection, "SPY 270115C00600000").count == 1)

        // 16:00:30: the option's market is closed; no quote came, the last one is sent again, saying so.
        time.advance(seconds: 60)
        hub.housekeeping(secondElapsed: true)
        hub.flushWrites()
        let option = messages(connection, "SPY 270115C00600000")
        #expect(option.count == 2)
        #expect(option.last?["marketOpen"] as? Bool == false)
        #expect(option.last?["seq"] as? Int == option.first?["seq"] as? Int)
        #expect(messages(connection, "BTC").count == 1, "crypto's market did not close: nothing to send again")
        #expect(hub.metrics.updatesDelivered == 2, "a session's edge counted as a quote update")
        // And over HTTP too.
        let request = HTTPRequest(method: .get, path: "/api/market-data/quote/SPY 270115C00600000", headers: ["host": "127.0.0.1:8080"])
        if case let .respond(response) = hub.route(request) {
            let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect(body?["marketOpen"] as? Bool == false)
        } else {
            Issue.record("the quote was not answered at once")
        }
    }
}
