import FuzzSupport
import TastyTrade
import TickhubCore

/// `[FEED_CONFIG]\n[FEED_DATA]`: the events read with the config's fields, and the simulator's COMPACT copy of them.
func checkFeed(_ body: [UInt8]) {
    let newline = body.firstIndex(of: 0x0A) ?? body.count
    guard case let .feedConfig(_, _, _, fields)? = try? DXLinkMessage.decode(Array(body[..<newline])),
          newline < body.count, case let .feedData(_, data)? = try? DXLinkMessage.decode(Array(body[(newline + 1)...]))
    else { return }
    guard let events = refusedClearly({ try DXLinkEvent.decode(data: data, eventFields: fields) }) else { return }
    for event in events {
        invariant(!event.symbol.isEmpty && !event.type.isEmpty, "an event without a symbol or type")
        invariant(event.values.values.allSatisfy { $0?.isFinite ?? true }, "an event value that is not finite")
        invariant(event.values["eventSymbol"] == nil && event.values["eventType"] == nil, "the symbol or type among the values")
    }
    // FULL data, or fields that repeat a name, have no one COMPACT form to compare with.
    guard data.first?.isObject == false, fields.values.allSatisfy({ Set($0).count == $0.count }) else { return }
    let compact = DXLinkEvent.compact(events, eventFields: fields)
    guard let again = refusedClearly({ try DXLinkEvent.decode(data: compact, eventFields: fields) }) else {
        violated("the simulator's COMPACT data was refused")
    }
    // Grouped by type in the copy, so compared type by type; a text field comes back as no value.
    for type in Set(events.map { $0.type }) {
        let before = events.filter { $0.type == type }
        let after = again.filter { $0.type == type }
        invariant(before.count == after.count, "\(type): \(before.count) events became \(after.count)")
        for (old, new) in zip(before, after) {
            invariant(old.symbol == new.symbol, "\(type): \(old.symbol) became \(new.symbol)")
            for field in fields[type] ?? [] where field != "eventType" && field != "eventSymbol" {
                invariant(old[field] == new[field], "\(type) \(old.symbol) \(field): \(String(describing: old[field])) became \(String(describing: new[field]))")
            }
        }
    }
}
