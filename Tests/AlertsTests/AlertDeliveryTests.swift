import Foundation
import Hub
import HubProtocol
import Store
import Testing
import TickhubCore

@testable import Alerts

/// Deliveries to a real HTTP receiver on loopback: the webhook body is the stream's alert object, failures are
/// retried with backoff and every attempt is kept; Telegram gets `sendMessage` with the token in the path only.
@Suite struct AlertDeliveryTests {
    @Test func aWebhookThatFailsTwiceIsRetriedAndEveryAttemptIsKept() async throws {
        let rig = AlertRig()
        let receiver = try await LoopbackReceiver(statuses: [500, 503, 200])
        let desk = try await rig.desk()
        let rule = try await desk.create(
            AlertDraft(symbol: "AAPL", condition: "above", level: 200, targets: [.webhook(url: receiver.url + "/hook?key=s3cret")]),
            current: nil)
        desk.observe(AlertRig.quote("AAPL", 201.25))
        let fired = try await rig.nextFiring()

        var bodies: [String] = []
        for await request in receiver.received {
            #expect(request.path == "/hook?key=s3cret" && request.contentType == "application/json")
            bodies.append(request.body)
            if bodies.count == 3 { break }
        }
        #expect(Set(bodies).count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bodies[0].utf8)) as? [String: Any])
        #expect(object["type"] as? String == "alert" && object["id"] as? String == rule.id && object["symbol"] as? String == "AAPL")
        #expect(object["condition"] as? String == "above" && object["level"] as? Double == 200 && object["price"] as? Double == 201.25)
        #expect((object["time"] as? NSNumber)?.int64Value == fired.time)
        #expect(bodies[0].utf8.elementsEqual(EncodedAlert.encode(fired)))

        let deliveries = try await AlertRig.deliveries(of: desk) { $0.first?.state == .delivered }
        #expect(deliveries.count == 1)
        let delivery = try #require(deliveries.first)
        #expect(delivery.attempts.map(\.status) == [500, 503, 200])
        #expect(delivery.attempts.map(\.delivered) == [false, false, true])
        #expect(delivery.attempts.map(\.attempt) == [1, 2, 3])
        // The query, where a webhook's secret usually sits, is not kept.
        #expect(delivery.target == receiver.url + "/hook?…")
        #expect(!String(decoding: AlertBody.deliveries(deliveries), as: UTF8.self).contains("s3cret"))
        await desk.stop()
        await receiver.close()
        await rig.shutdown()
    }

    @Test func aRefusalOtherAttemptsWouldNotMendIsFinalAndAnOutageStopsAtTheLimit() async throws {
        let rig = AlertRig()
        let refusing = try await LoopbackReceiver(statuses: [404])
        let failing = try await LoopbackReceiver(statuses: [500])
        let desk = try await rig.desk { $0.deliveryAttempts = 3 }
        _ = try await desk.create(
            AlertDraft(symbol: "BTC", condition: "below", level: 50_000, targets: [.webhook(url: refusing.url), .webhook(url: failing.url)]),
            current: nil)
        desk.observe(AlertRig.quote("BTC", 49_000))
        let deliveries = try await AlertRig.deliveries(of: desk) { $0.count == 2 && $0.allSatisfy { $0.state == .failed } }
        let byTarget = Dictionary(uniqueKeysWithValues: deliveries.map { ($0.target, $0) })
        #expect(byTarget[refusing.url]?.attempts.map(\.status) == [404])
        #expect(byTarget[failing.url]?.attempts.map(\.status) == [500, 500, 500])
        #expect(refusing.all.count == 1)
        #expect(failing.all.count == 3)
        #expect(deliveries.flatMap(\.attempts).allSatisfy { !$0.delivered })
        await desk.stop()
        await refusing.close()
        await failing.close()
        await rig.shutdown()
    }

    @Test func telegramGetsSendMessageWithTheTokenInThePathAndNowhereElse() async throws {
        let rig = AlertRig()
        let token = "123456:TEST-token-never-shown"
        let bot = try await LoopbackReceiver(statuses: [400, 200], answer: #"{"ok":false,"description":"Bad Request: chat not found, token 123456:TEST-token-never-shown"}"#)
        let desk = try await rig.desk {
            $0.telegramBaseURL = bot.url
            $0.telegramBotToken = token
        }
        _ = try await desk.create(AlertDraft(symbol: "EUR.USD", condition: "crosses", level: 1.1, targets: [.telegram(chatId: "-100777")]),
                                  current: AlertRig.quote("EUR.USD", 1.0999))
        desk.observe(AlertRig.quote("EUR.USD", 1.1004))
        _ = try await rig.nextFiring()
        let deliveries = try await AlertRig.deliveries(of: desk) { $0.first?.state == .failed }
        let request = try #require(bot.all.first)
        #expect(request.path == "/bot\(token)/sendMessage")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(body["chat_id"] as? String == "-100777")
        #expect((body["text"] as? String)?.hasPrefix("EUR.USD crossed 1.1 at 1.1004") == true)
        // A 400 is final; what Telegram said is kept, with the token taken out of it.
        #expect(bot.all.count == 1)
        let detail = try #require(deliveries.first?.attempts.first?.detail)
        #expect(detail.contains("chat not found"))
        let shown = String(decoding: AlertBody.deliveries(deliveries), as: UTF8.self)
        #expect(!shown.contains("TEST-token") && shown.contains(#""chatId":"-100777""#))
        await desk.stop()
        await bot.close()
        await rig.shutdown()
    }

    @Test func withoutATokenATelegramRuleIsRefused() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        await #expect(throws: AlertDeskError.self) {
            try await desk.create(AlertDraft(symbol: "BTC", condition: "above", level: 1, targets: [.telegram(chatId: "42")]), current: nil)
        }
        #expect(try await desk.rules().isEmpty)
        await desk.stop()
        await rig.shutdown()
    }
}
