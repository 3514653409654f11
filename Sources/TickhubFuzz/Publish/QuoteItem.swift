import FuzzSupport
import TickhubCore

/// One quote item of a program: the patch it stands for, written as a publisher would write it.
///
/// Layout, per item: [symbol][spelling][mask: 2 bytes][one operand per mask bit], where
///   bits 0-10: bid, ask, last, bidSize, askSize, lastSize, volume, open, high, low, close; each operand is [0] for
///              null, [1...127] for a value from `notableValues`, or [128...255] and 8 bytes of a raw double (a
///              non-finite one is written as null: JSON has no spelling for it)
///   bit 11: ts, [form][8 bytes]: form % 3 == 0 the raw integer, 1 milliseconds near the clock, 2 µs near it
///   bit 12: delayed, bit 13: stale, 1 byte each; bit 14: an ignored field ("seq"); bit 15: an unknown one
struct QuoteItem {
    var json = ""
    /// What the decoder must give for it: the patch, or nil for a rejection.
    var expected: QuotePatch?
}

// Key paths are immutable values; they are only not declared Sendable.
nonisolated(unsafe) let patchFields: [(name: String, path: WritableKeyPath<QuotePatch, Double??>, isSize: Bool)] = [
    ("bid", \.bid, false), ("ask", \.ask, false), ("last", \.last, false),
    ("bidSize", \.bidSize, true), ("askSize", \.askSize, true), ("lastSize", \.lastSize, true), ("volume", \.volume, true),
    ("open", \.open, false), ("high", \.high, false), ("low", \.low, false), ("close", \.close, false),
]

let notableValues: [Double] = [
    0, -0.0, 1, -1, 0.5, 150.25, 150.26, 99.99, 1.0845, 1e9, -1e9, 1e9 + 1, 1e15, 1e15 + 1, 1e-7, 5e-324, 123456789.123,
    0.1 + 0.2, 1e308, .greatestFiniteMagnitude, 9_007_199_254_740_993, 12345678901234567,
]

/// Symbols as publishers spell them; the last ones the grammar refuses.
let itemSymbols = ["AAPL", "EUR.USD", "BTC", "SPY 250321P00250000", "BRK B", "ACME", "", "AA$L", String(repeating: "A", count: 40)]

let spaces = ["", " ", "\n  ", "\t", "\r\n"]

func readItem(_ input: inout FuzzInput, space: String) -> QuoteItem {
    var members: [String] = []
    var rejected = false
    let spelled = spelling(input.pick(itemSymbols), input.byte())
    members.append("\"symbol\":\(space)\(JSONText.quoted(spelled))")
    var patch = QuotePatch(symbol: (try? SymbolGrammar.parse(spelled).symbol) ?? "")
    if patch.symbol.isEmpty { rejected = true }

    let mask = input.integer(UInt16.self)
    var named = false
    for (bit, field) in patchFields.enumerated() where mask & (1 << bit) != 0 {
        let tag = input.byte()
        var value: Double?
        switch tag {
        case 0: value = nil
        case 1..<0x80: value = notableValues[Int(tag - 1) % notableValues.count]
        default: value = Double(bitPattern: input.integer(UInt64.self))
        }
        if let v = value, !v.isFinite { value = nil }
        members.append("\(JSONText.quoted(field.name)):\(space)\(value.map { "\($0)" } ?? "null")")
        named = true
        if field.isSize, let v = value, v < 0 { rejected = true }
        patch[keyPath: field.path] = .some(value)
    }
    if !named || violatesValueChecks(patch) { rejected = true }

    if mask & (1 << 11) != 0 {
        let form = input.byte() % 3
        let raw = input.integer(Int64.self)
        let ts: Int64 = switch form {
        case 0: raw
        case 1: now / 1_000 + raw % 100_000_000
        default: now + raw % 100_000_000_000
        }
        members.append("\"ts\":\(space)\(ts)")
        if let micros = acceptedStamp(ts) { patch.sourceTime = micros } else { rejected = true }
    }
    if mask & (1 << 12) != 0 {
        patch.delayed = input.byte() & 1 == 1
        members.append("\"delayed\":\(space)\(patch.delayed!)")
    }
    if mask & (1 << 13) != 0 {
        patch.stale = input.byte() & 1 == 1
        members.append("\"stale\":\(space)\(patch.stale!)")
    }
    if mask & (1 << 14) != 0 { members.append("\"seq\":\(space)\(input.byte())") }
    if mask & (1 << 15) != 0 {
        members.append("\"bidd\":\(space)1")
        rejected = true
    }
    let json = "{" + space + members.joined(separator: "," + space) + space + "}"
    return QuoteItem(json: json, expected: rejected ? nil : patch)
}

/// `ts` as the documentation reads it: µs since the epoch, or ms when it has at most 13 digits; from 2000 on and
/// at most 60 s ahead. Written as an integer of more than 18 digits it is no longer read as one.
func acceptedStamp(_ ts: Int64) -> Int64? {
    guard ts.magnitude < 1_000_000_000_000_000_000 else { return nil }
    let micros: Int64
    if ts < 100_000_000_000_000 {
        let (scaled, overflow) = ts.multipliedReportingOverflow(by: 1_000)
        guard !overflow else { return nil }
        micros = scaled
    } else {
        micros = ts
    }
    return micros >= earliestStamp && micros <= now + 60_000_000 ? micros : nil
}

/// A price beyond ±1e9, a size beyond 1e15, a crossed book, low above high.
func violatesValueChecks(_ patch: QuotePatch) -> Bool {
    for field in patchFields {
        guard let value = patch[keyPath: field.path] ?? nil else { continue }
        if field.isSize ? value > 1e15 : abs(value) > 1e9 { return true }
    }
    if let bid = patch.bid ?? nil, let ask = patch.ask ?? nil, bid > ask { return true }
    if let low = patch.low ?? nil, let high = patch.high ?? nil, low > high { return true }
    return false
}

/// The symbol as typed: bit 0 lower-case, bit 1 padded with spaces; neither changes what it means.
func spelling(_ symbol: String, _ how: UInt8) -> String {
    var text = how & 1 == 1 ? symbol.lowercased() : symbol
    if how & 2 != 0 { text = " \(text) " }
    return text
}
