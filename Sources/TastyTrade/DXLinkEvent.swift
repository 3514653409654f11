import TickhubCore

/// One market event of FEED_DATA: its type ("Quote", "Trade", "Summary"…), its streamer symbol, and its numeric
/// fields. A field sent as "NaN" or "Infinity" (dxFeed's "no value") is present with nil; a text field (an exchange
/// code) is left out.
public struct DXLinkEvent: Equatable, Sendable {
    public var type: String
    public var symbol: String
    public var values: [String: Double?]

    public init(type: String, symbol: String, values: [String: Double?]) {
        self.type = type
        self.symbol = symbol
        self.values = values
    }

    /// A field's value, nil when absent or no value.
    public subscript(field: String) -> Double? { values[field] ?? nil }

    /// The fields Tickhub asks for, per event type, in the order it asks (the answer's FEED_CONFIG decides the order
    /// data comes in).
    public static let requestedFields: [String: [String]] = [
        "Quote": ["eventType", "eventSymbol", "bidPrice", "askPrice", "bidSize", "askSize"],
        "Trade": ["eventType", "eventSymbol", "price", "size", "dayVolume", "time"],
        "Summary": ["eventType", "eventSymbol", "dayOpenPrice", "dayHighPrice", "dayLowPrice", "prevDayClosePrice"],
        "Greeks": ["eventType", "eventSymbol", "volatility", "delta", "gamma", "theta", "vega"],
    ]

    /// The events of a FEED_DATA's `data`: COMPACT (`["Quote",[v1,v2,…,v1,v2,…],"Trade",[…]]`, values in the order
    /// `eventFields` gives for the type, several events one after another) or FULL (an array of objects).
    public static func decode(data: [JSONValue], eventFields: [String: [String]]) throws(TastyTradeFormatError) -> [DXLinkEvent] {
        guard let first = data.first else { return [] }
        if first.isObject { return try decodeFull(data) }
        guard data.count % 2 == 0 else { throw TastyTradeFormatError("FEED_DATA: \(data.count) items, not pairs of event type and values") }
        var events: [DXLinkEvent] = []
        for pair in stride(from: 0, to: data.count, by: 2) {
            guard let type = data[pair].string else {
                throw TastyTradeFormatError("FEED_DATA: item \(pair) is \(TastyJSON.kind(data[pair])), not an event type")
            }
            let shownType = String(type.prefix(40))
            guard let values = data[pair + 1].array else {
                throw TastyTradeFormatError("FEED_DATA \(shownType): the values are \(TastyJSON.kind(data[pair + 1])), not an array")
            }
            guard let fields = eventFields[type], !fields.isEmpty else {
                throw TastyTradeFormatError("FEED_DATA \(shownType): FEED_CONFIG gave no fields for this event type")
            }
            guard let symbolIndex = fields.firstIndex(of: "eventSymbol") else {
                throw TastyTradeFormatError("FEED_DATA \(shownType): FEED_CONFIG's fields have no eventSymbol")
            }
            guard values.count % fields.count == 0 else {
                throw TastyTradeFormatError("FEED_DATA \(shownType): \(values.count) values for events of \(fields.count) fields")
            }
            for start in stride(from: 0, to: values.count, by: fields.count) {
                guard let symbol = values[start + symbolIndex].string, !symbol.isEmpty else {
                    throw TastyTradeFormatError("FEED_DATA \(shownType): event \(start / fields.count) has no symbol")
                }
                var event = DXLinkEvent(type: type, symbol: symbol, values: [:])
                for (offset, field) in fields.enumerated() where field != "eventType" && field != "eventSymbol" {
                    if let value = numeric(values[start + offset]) { event.values[field] = value }
                }
                events.append(event)
            }
        }
        return events
    }

    static func decodeFull(_ data: [JSONValue]) throws(TastyTradeFormatError) -> [DXLinkEvent] {
        var events: [DXLinkEvent] = []
        for (index, item) in data.enumerated() {
            guard let members = item.object else { throw TastyTradeFormatError("FEED_DATA: event \(index) is not an object") }
            guard let type = members["eventType"]?.string, let symbol = members["eventSymbol"]?.string, !symbol.isEmpty else {
                throw TastyTradeFormatError("FEED_DATA: event \(index) lacks an eventType or eventSymbol")
            }
            var event = DXLinkEvent(type: type, symbol: symbol, values: [:])
            for (field, value) in members where field != "eventType" && field != "eventSymbol" {
                if let value = numeric(value) { event.values[field] = value }
            }
            events.append(event)
        }
        return events
    }

    /// `.some(nil)` for dxFeed's spellings of no value, `.some(x)` for a number, nil for a field that is no number.
    static func numeric(_ value: JSONValue) -> Double?? {
        switch value {
        case let .number(number): return .some(number.isFinite ? number : nil)
        case .null: return .some(nil)
        case let .string(text):
            switch text {
            case "NaN", "Infinity", "-Infinity": return .some(nil)
            default: return TastyJSON.decimal(text).map { .some($0) }
            }
        default: return nil
        }
    }

    /// COMPACT `data` for events (the simulator's FEED_DATA), grouped by type in order of first appearance, each
    /// event's values in `eventFields`' order; no value is written "NaN". Events of a type without fields are left
    /// out, as a server leaves out what it was not asked for.
    public static func compact(_ events: [DXLinkEvent], eventFields: [String: [String]]) -> [JSONValue] {
        var order: [String] = []
        var grouped: [String: [JSONValue]] = [:]
        for event in events {
            guard let fields = eventFields[event.type], !fields.isEmpty else { continue }
            if grouped[event.type] == nil { order.append(event.type) }
            for field in fields {
                switch field {
                case "eventType": grouped[event.type, default: []].append(.string(event.type))
                case "eventSymbol": grouped[event.type, default: []].append(.string(event.symbol))
                default:
                    if let value = event[field], value.isFinite {
                        grouped[event.type, default: []].append(.number(value))
                    } else {
                        grouped[event.type, default: []].append(.string("NaN"))
                    }
                }
            }
        }
        return order.flatMap { [JSONValue.string($0), .array(grouped[$0] ?? [])] }
    }
}
