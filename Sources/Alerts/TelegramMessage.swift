import Foundation
import Hub
import HubProtocol
import TickhubCore

/// A fired alert as a Telegram Bot API `sendMessage`: `{"chat_id":…,"text":…}`, the text one line a person reads
/// on a phone.
enum TelegramMessage {
    static func body(chatId: String, _ fired: AlertFired) -> [UInt8] {
        var w = JSONWriter(capacity: 200)
        w.beginObject()
        w.field("chat_id", chatId)
        w.field("text", text(fired))
        w.endObject()
        return w.bytes
    }

    /// `AAPL crossed 190 at 190.05 (alert 3f2a…, 2026-12-06 15:04:05 UTC)`.
    static func text(_ fired: AlertFired) -> String {
        let decimals = PricePrecision.decimals(QuoteEncoding.instrument(of: fired.symbol).securityType)
        let price = Self.number(fired.price, decimals: decimals)
        let level = Self.number(fired.level, decimals: decimals)
        let what: String = switch fired.condition {
        case .above: "is above \(level)"
        case .below: "is below \(level)"
        case .crosses: "crossed \(level)"
        case .changePercent: "moved \(fired.level > 0 ? "+" : "")\(level) %"
        }
        let time = Date(timeIntervalSince1970: Double(fired.time) / 1_000)
        let formatter = ISO8601DateFormatter()
        return "\(fired.symbol) \(what) at \(price) (alert \(fired.id), \(formatter.string(from: time)))"
    }

    private static func number(_ value: Double, decimals: Int) -> String {
        var w = JSONWriter(capacity: 24)
        w.value(value, decimals: decimals)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The Bot API's `description` of a refusal (`Bad Request: chat not found`).
    @Sendable static func description(_ body: Data) -> String? {
        guard let object = try? JSONValue.decode(body) else { return nil }
        return object["description"]?.string
    }
}
