import Foundation
import Hub
import HubProtocol
import HubTestSupport
import Testing
import TickhubCore

@testable import Alerts

/// `/api/alerts` registered into a hub by the desk and answered from a real SQLite file.
@Suite struct AlertRoutesTests {
    func request(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, query: [String: String] = [:]) -> HTTPRequest {
        var headers = ["host": "127.0.0.1:8080"]
        if json != nil { headers["content-type"] = "application/json" }
        return HTTPRequest(method: method, path: path, query: query, headers: headers, body: Array((json ?? "").utf8))
    }

    func object(_ response: HTTPResponse?) -> [String: Any] {
        (response.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) } as? [String: Any]) ?? [:]
    }

    func code(_ response: HTTPResponse?) -> String? { (object(response)["error"] as? [String: Any])?["code"] as? String }

    @Test func aRuleIsCreatedListedReadAndDeleted() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: rig.time, features: [desk])
        let created = await hub.answer(request(.post, "/api/alerts", json: #"""
            {"symbol":"btc","condition":"crosses","level":90000,"cooldownSeconds":30,
             "targets":[{"type":"webhook","url":"https://hooks.example.net/t"}]}
            """#))
        #expect(created?.status == 201)
        let rule = object(created)
        let id = try #require(rule["id"] as? String)
        #expect(created?.header["location"] == "/api/alerts/\(id)")
        #expect(rule["symbol"] as? String == "BTC" && rule["condition"] as? String == "crosses" && rule["level"] as? Double == 90_000)
        #expect(rule["cooldownSeconds"] as? Int == 30 && rule["armed"] as? Bool == true && rule["expired"] as? Bool == false)
        #expect((rule["targets"] as? [[String: String]]) == [["type": "webhook", "url": "https://hooks.example.net/t"]])

        let listed = object(await hub.answer(request(.get, "/api/alerts")))["alerts"] as? [[String: Any]]
        #expect(listed?.compactMap { $0["id"] as? String } == [id])
        #expect(object(await hub.answer(request(.get, "/api/alerts/\(id)")))["id"] as? String == id)
        #expect(await hub.answer(request(.delete, "/api/alerts/\(id)"))?.status == 204)
        let gone = await hub.answer(request(.get, "/api/alerts/\(id)"))
        #expect(gone?.status == 404 && code(gone) == "not_found")
        #expect(await hub.answer(request(.delete, "/api/alerts/\(id)"))?.status == 404)
        await desk.stop()
        await rig.shutdown()
    }

    @Test func badDraftsAreRefusedWithTheFieldAtFault() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: rig.time, features: [desk])
        let cases: [(String, Int, String, String)] = [
            ("not json", 400, "bad_json", "JSON object"),
            ("[1]", 400, "bad_json", "JSON object"),
            (#"{"symbol":"AAPL","condition":"above"}"#, 400, "missing_field", "level"),
            (#"{"symbol":"AAPL","condition":"abve","level":1}"#, 400, "unknown_condition", "condition"),
            (#"{"symbol":"AAPL","condition":"above","level":"1"}"#, 400, "missing_field", "level"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"levle":2}"#, 400, "unknown_field", "levle"),
            (#"{"symbol":"AA PL X","condition":"above","level":1}"#, 400, "invalid_symbol", "symbol"),
            (#"{"symbol":"AAPL","condition":"changePercent","level":0}"#, 400, "invalid_level", "level"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"cooldownSeconds":-1}"#, 400, "invalid_cooldown", "cooldownSeconds"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"cooldownSeconds":1.5}"#, 400, "invalid_field", "cooldownSeconds"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"targets":[{"type":"webhook","url":"ftp://x"}]}"#, 400, "invalid_target", "ftp://x"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"targets":[{"type":"sms","to":"1"}]}"#, 400, "invalid_target", "sms"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"targets":[{"type":"telegram","chatId":42}]}"#, 422, "telegram_not_configured", "TELEGRAM_BOT_TOKEN"),
            (#"{"symbol":"AAPL","condition":"above","level":1,"expiresAt":1000}"#, 400, "expiry_in_past", "expiresAt"),
        ]
        for (body, status, expected, words) in cases {
            let response = await hub.answer(request(.post, "/api/alerts", json: body))
            #expect(response?.status == status, "\(body)")
            #expect(code(response) == expected, "\(body)")
            let message = (object(response)["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains(words), "\(body): \(message)")
        }
        #expect(try await desk.rules().isEmpty)
        await desk.stop()
        await rig.shutdown()
    }

    @Test func anInstrumentNoProviderKnowsIsRefusedAndTheHeldQuoteIsTheRulesFirst() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: rig.time, features: [desk])
        hub.setAvailability("ZZZZ", .unknown)
        let unknown = await hub.answer(request(.post, "/api/alerts", json: #"{"symbol":"ZZZZ","condition":"above","level":1}"#))
        #expect(unknown?.status == 422 && code(unknown) == "unknown_symbol")

        hub.publish(AlertRig.quote("AAPL", 230), receivedAt: rig.time.clock.now())
        let created = await hub.answer(request(.post, "/api/alerts", json: #"{"symbol":"AAPL","condition":"above","level":200}"#))
        #expect(created?.status == 201)
        // The condition already held on the quote the hub had: it fired at once.
        #expect(object(created)["armed"] as? Bool == false)
        #expect(try await rig.nextFiring().price == 230)
        await desk.stop()
        await rig.shutdown()
    }

    @Test func deliveriesAreListedAndTheTableKnowsTheirMethods() async throws {
        let rig = AlertRig()
        let desk = try await rig.desk()
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: rig.time, features: [desk])
        let listed = await hub.answer(request(.get, "/api/alerts/deliveries"))
        #expect(listed?.status == 200 && (object(listed)["deliveries"] as? [Any])?.isEmpty == true)
        #expect(await hub.answer(request(.get, "/api/alerts/deliveries", query: ["limit": "0"]))?.status == 400)
        let wrong = await hub.answer(request(.delete, "/api/alerts/deliveries"))
        #expect(wrong?.status == 405 && wrong?.header["allow"] == "GET, HEAD, OPTIONS")
        #expect(await hub.answer(request(.put, "/api/alerts/x"))?.header["allow"] == "GET, HEAD, DELETE, OPTIONS")
        await desk.stop()
        await rig.shutdown()
    }
}
