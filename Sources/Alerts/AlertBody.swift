import Foundation
import HubProtocol
import Store
import TickhubCore

/// An alert rule as `/api/alerts` spells it, in (a draft, checked field by field) and out (the rule, what it has
/// seen, and the deliveries of its firings).
enum AlertBody {
    static let fields: Set<String> = ["symbol", "condition", "level", "reference", "cooldownSeconds", "expiresAt", "allowDelayed", "targets"]
    /// Targets one rule may have: each firing is a delivery to each.
    static let maximumTargets = 10

    struct Refusal: Error {
        let code: String
        let message: String
        init(_ code: String, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The draft a POST body describes; type errors name their field. The values themselves are judged by
    /// `AlertDraft.validated` when the rule is stored.
    static func draft(_ body: [UInt8]) throws(Refusal) -> AlertDraft {
        let object: [String: JSONValue]
        do {
            guard let decoded = try JSONValue.decode(Data(body)).object else { throw Refusal("bad_json", "the body must be a JSON object") }
            object = decoded
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal("bad_json", "the body must be a JSON object: \(quoted(JSONValue.describe(error), limit: 120))")
        }
        if let unknown = Set(object.keys).subtracting(fields).sorted().first {
            throw Refusal("unknown_field", "unknown field \"\(quoted(unknown, limit: 40))\"; allowed: \(fields.sorted().joined(separator: ", "))")
        }
        guard case let .string(symbol)? = object["symbol"] else { throw Refusal("missing_field", "symbol is required and must be a string") }
        guard case let .string(condition)? = object["condition"] else {
            throw Refusal("missing_field", "condition is required: one of \(AlertCondition.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case let .number(level)? = object["level"] else { throw Refusal("missing_field", "level is required and must be a number") }
        var draft = AlertDraft(symbol: symbol, condition: condition, level: level)
        switch object["reference"] {
        case nil, .null?: break
        case let .string(text)?: draft.reference = text
        default: throw Refusal("invalid_field", "reference must be a string: previousClose or creation")
        }
        if let seconds = try whole(object["cooldownSeconds"], "cooldownSeconds") { draft.cooldownSeconds = Int(seconds) }
        draft.expiresAt = try whole(object["expiresAt"], "expiresAt")
        switch object["allowDelayed"] {
        case nil, .null?: break
        case let .bool(flag)?: draft.allowDelayed = flag
        default: throw Refusal("invalid_field", "allowDelayed must be true or false")
        }
        switch object["targets"] {
        case nil, .null?: break
        case let .array(items)?:
            guard items.count <= maximumTargets else {
                throw Refusal("too_many_targets", "a rule may have \(maximumTargets) targets at most, not \(items.count)")
            }
            draft.targets = try items.enumerated().map { index, item throws(Refusal) in try target(item, index) }
        default: throw Refusal("invalid_field", "targets must be a list of {\"type\":\"webhook\",\"url\":…} or {\"type\":\"telegram\",\"chatId\":…}")
        }
        return draft
    }

    /// A whole number of JSON's, within what a 64-bit integer holds; nil when absent or null.
    private static func whole(_ value: JSONValue?, _ name: String) throws(Refusal) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case let .number(n)? where n == n.rounded() && abs(n) < 9.2e18: return Int64(n)
        default: throw Refusal("invalid_field", "\(name) must be a whole number")
        }
    }

    private static func target(_ item: JSONValue, _ index: Int) throws(Refusal) -> AlertTarget {
        let shape = "targets[\(index)] must be {\"type\":\"webhook\",\"url\":…} or {\"type\":\"telegram\",\"chatId\":…}"
        guard let object = item.object, case let .string(type)? = object["type"] else { throw Refusal("invalid_target", shape) }
        switch type {
        case "webhook":
            guard case let .string(url)? = object["url"], object.count == 2 else { throw Refusal("invalid_target", shape) }
            return .webhook(url: url)
        case "telegram":
            guard object.count == 2 else { throw Refusal("invalid_target", shape) }
            switch object["chatId"] {
            // Telegram's chat ids are integers; clients send them as numbers as often as as text.
            case let .string(chatId)?: return .telegram(chatId: chatId)
            case let .number(n)? where n == n.rounded() && abs(n) < 9.2e18: return .telegram(chatId: String(Int64(n)))
            default: throw Refusal("invalid_target", shape)
            }
        default:
            throw Refusal("invalid_target", "targets[\(index)].type \"\(quoted(type, limit: 40))\" is not a target type; use webhook or telegram")
        }
    }

    /// The code of a refused draft: which rule of `AlertDraft.validated` it broke.
    static func code(_ error: AlertValidationError) -> String {
        switch error {
        case .invalidSymbol: "invalid_symbol"
        case .unknownCondition: "unknown_condition"
        case .unknownReference: "unknown_reference"
        case .levelNotFinite, .changePercentZero, .changePercentBeyondTotalLoss: "invalid_level"
        case .cooldownNegative: "invalid_cooldown"
        case .targetURLInvalid, .targetChatIdEmpty: "invalid_target"
        case .expiryInPast: "expiry_in_past"
        }
    }

    // MARK: Out

    static func write(_ rule: AlertRule, memory: AlertMemory?, now: Int64, into w: inout JSONWriter) {
        w.beginObject()
        w.field("id", rule.id)
        w.field("symbol", rule.symbol)
        w.field("condition", rule.condition.rawValue)
        w.field("level", rule.level)
        w.field("reference", rule.reference.rawValue)
        w.field("referencePrice", rule.referencePrice)
        w.field("cooldownSeconds", rule.cooldownSeconds)
        w.field("expiresAt", rule.expiresAt)
        w.field("allowDelayed", rule.allowDelayed)
        w.key("targets")
        w.beginArray()
        for target in rule.targets { write(target, into: &w) }
        w.endArray()
        w.field("createdAt", rule.createdAt)
        w.field("expired", rule.hasExpired(at: now))
        w.field("armed", memory?.armed ?? true)
        w.field("lastFiredAt", memory?.lastFiredAt)
        w.endObject()
    }

    static func write(_ target: AlertTarget, into w: inout JSONWriter) {
        w.beginObject()
        switch target {
        case let .webhook(url):
            w.field("type", "webhook")
            w.field("url", url)
        case let .telegram(chatId):
            w.field("type", "telegram")
            w.field("chatId", chatId)
        }
        w.endObject()
    }

    static func rule(_ rule: AlertRule, memory: AlertMemory?, now: Int64) -> [UInt8] {
        var w = JSONWriter(capacity: 400)
        write(rule, memory: memory, now: now, into: &w)
        return w.bytes
    }

    static func rules(_ rules: [(rule: AlertRule, memory: AlertMemory?)], now: Int64) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + 400 * rules.count)
        w.beginObject()
        w.key("alerts")
        w.beginArray()
        for (rule, memory) in rules { write(rule, memory: memory, now: now, into: &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `{"deliveries":[…]}`, newest first; a webhook's URL as `DeliveryAddress` shows it.
    static func deliveries(_ deliveries: [AlertDelivery]) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + 400 * deliveries.count)
        w.beginObject()
        w.key("deliveries")
        w.beginArray()
        for delivery in deliveries {
            w.beginObject()
            w.field("id", delivery.id)
            w.field("alertId", delivery.fired.id)
            w.field("symbol", delivery.fired.symbol)
            w.field("condition", delivery.fired.condition.rawValue)
            w.field("level", delivery.fired.level)
            w.field("price", delivery.fired.price)
            w.field("firedAt", delivery.fired.time)
            w.key("target")
            w.beginObject()
            w.field("type", delivery.targetType)
            w.field(delivery.targetType == "telegram" ? "chatId" : "url", delivery.target)
            w.endObject()
            w.field("state", delivery.state.rawValue)
            w.key("attempts")
            w.beginArray()
            for attempt in delivery.attempts {
                w.beginObject()
                w.field("attempt", attempt.attempt)
                w.field("at", attempt.at)
                w.field("outcome", attempt.delivered ? "delivered" : "failed")
                w.field("status", attempt.status.map(Int64.init))
                w.field("detail", attempt.detail)
                w.field("durationMs", attempt.durationMs)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
