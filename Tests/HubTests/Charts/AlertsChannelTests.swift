import Foundation
import Testing
import TickhubCore

import HubProtocol
import HubTestSupport
@testable import Hub

/// The `alerts` channel: each fired alert reaches every subscriber of the channel, none is conflated away.
@Suite struct AlertsChannelTests {
    let host = FakeHost()
    let time = ManualClock()

    func connect(_ hub: FanoutHub) -> (ClientSession, FakeConnection) { hub.openTestClient() }

    func send(_ text: String, from client: ClientSession, to hub: FanoutHub) { hub.take(text, from: client) }

    static func fired(_ id: String, price: Double) -> AlertFired {
        AlertFired(id: id, symbol: "AAPL", condition: .crosses, level: 230.5, price: price, time: 1_800_000_000_123)
    }

    @Test func everyAlertArrivesEvenAtAClientThatWasBehind() {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let (listener, connection) = connect(hub)
        let (other, otherConnection) = connect(hub)
        send(#"{"op":"subscribe","channels":["alerts"]}"#, from: listener, to: hub)
        send(#"{"op":"subscribe","symbols":["AAPL"]}"#, from: other, to: hub)
        #expect(connection.frames.isEmpty, "nothing stands to be sent on subscribing")
        connection.choked = true
        hub.publishAlert(EncodedAlert(Self.fired("a1", price: 230.51000000000002)))
        hub.publishAlert(EncodedAlert(Self.fired("a2", price: 230.49)))
        hub.flushWrites()
        connection.choked = false
        #expect(hub.writable(listener))
        let alerts = connection.messages.filter { $0["type"] as? String == "alert" }
        #expect(alerts.map { $0["id"] as? String } == ["a1", "a2"])
        let first = alerts.first ?? [:]
        #expect(first["symbol"] as? String == "AAPL" && first["condition"] as? String == "crosses")
        #expect(first["level"] as? Double == 230.5 && first["time"] as? Int64 == 1_800_000_000_123)
        #expect(String(decoding: connection.frames.joined(), as: UTF8.self).contains(#""price":230.51,"#), "the instrument's decimals")
        #expect(otherConnection.messages.allSatisfy { $0["type"] as? String != "alert" }, "only the channel's subscribers")
    }

    /// The app publishes the quote, then judges it: the alert it fires must not overtake it in the frame they share.
    @Test func anAlertFollowsTheQuoteThatFiredItInTheirFrame() {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["status","alerts"]}"#, from: client, to: hub)
        var quote = Quote(symbol: "AAPL", source: .ibkr, timestamp: 1_800_000_000_000)
        quote.last = 231
        hub.publish(quote, receivedAt: Timestamp(microseconds: time.now))
        hub.publishAlert(EncodedAlert(Self.fired("a1", price: 231)))
        hub.setBrokerStatus(BrokerConnectionStatus(state: .ready, host: "127.0.0.1", port: 7497, clientId: 1))
        hub.flushWrites()
        let types = (connection.messages.map { $0["type"] as? String }).suffix(3)
        #expect(Array(types) == ["status", "quote", "alert"])
        #expect(connection.frames.count == 2, "the status on subscribing, then one frame")
    }

    @Test func unsubscribingStopsAlertsAndAnUnknownChannelNamesTheOnesThereAre() {
        let hub = FanoutHub.forTesting(host: host, clock: time)
        let (client, connection) = connect(hub)
        send(#"{"op":"subscribe","channels":["alerts","alarms"]}"#, from: client, to: hub)
        let error = connection.messages.first { $0["type"] as? String == "error" }
        #expect(error?["code"] as? String == "unknown_channel")
        #expect((error?["message"] as? String)?.hasSuffix("channels: status, pnl, alerts") == true)
        send(#"{"op":"unsubscribe","channels":["alerts"]}"#, from: client, to: hub)
        hub.publishAlert(EncodedAlert(Self.fired("a1", price: 231)))
        hub.flushWrites()
        #expect(connection.messages.allSatisfy { $0["type"] as? String != "alert" })
    }
}
