import Foundation
import TickhubCore
import Testing

/// Alert values in the API's JSON spellings: targets by `type`, the fired event's fields.
@Suite("Alert coding")
struct AlertCodingTests {
    @Test func targetsReadAndWriteTheirType() throws {
        let json = #"[{"type":"webhook","url":"https://example.com/h"},{"type":"telegram","chatId":"-100"}]"#
        let targets = try JSONDecoder().decode([AlertTarget].self, from: Data(json.utf8))
        #expect(targets == [.webhook(url: "https://example.com/h"), .telegram(chatId: "-100")])
        let encoded = try JSONEncoder().encode(targets)
        #expect(try JSONDecoder().decode([AlertTarget].self, from: encoded) == targets)
        let objects = try JSONSerialization.jsonObject(with: encoded) as? [[String: String]]
        #expect(objects?.map { $0["type"] } == ["webhook", "telegram"])
    }

    @Test func anUnknownTargetTypeIsRefused() {
        let json = #"[{"type":"carrierPigeon","url":"x"}]"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([AlertTarget].self, from: Data(json.utf8)) }
    }

    @Test func theFiredEventHasTheStreamsFields() throws {
        let fired = AlertFired(id: "a1", symbol: "BTC", condition: .crosses, level: 90_000, price: 90_010.5,
                               time: 1_765_000_000_123)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(fired)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["id", "symbol", "condition", "level", "price", "time"])
        #expect(object?["condition"] as? String == "crosses")
        #expect(object?["time"] as? Int64 == 1_765_000_000_123)
    }
}
