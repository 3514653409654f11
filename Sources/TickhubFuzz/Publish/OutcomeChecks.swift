import FuzzSupport
import TickhubCore
import HubProtocol

/// What an accepted message's outcome promises, from the bytes alone.
func checkOutcome(_ decoded: PublishDecoder.Decoded, of body: [UInt8]) {
    let items = topLevelItems(body)
    invariant(decoded.patches.count + decoded.rejections.count == items,
              "\(items) items gave \(decoded.patches.count) patches and \(decoded.rejections.count) rejections")
    var previous = -1
    for rejection in decoded.rejections {
        invariant(rejection.index > previous && rejection.index < items,
                  "rejection at index \(rejection.index) after \(previous), of \(items) items")
        invariant(rejection.code == "bad_quote", "rejection code \(rejection.code)")
        invariant(!rejection.message.isEmpty, "rejection of item \(rejection.index) without a message")
        previous = rejection.index
    }
    for patch in decoded.patches { checkValues(patch) }
}

/// The documented checks (docs/protocol.md, Publishing), written out again rather than called.
func checkValues(_ patch: QuotePatch) {
    guard let canonical = try? SymbolGrammar.parse(patch.symbol).symbol, canonical == patch.symbol else {
        violated("accepted a patch for \(patch.symbol.debugDescription), which is not a canonical symbol")
    }
    let prices = [("bid", patch.bid), ("ask", patch.ask), ("last", patch.last), ("open", patch.open),
                  ("high", patch.high), ("low", patch.low), ("close", patch.close)]
    let sizes = [("bidSize", patch.bidSize), ("askSize", patch.askSize), ("lastSize", patch.lastSize), ("volume", patch.volume)]
    invariant((prices + sizes).contains { $0.1 != nil }, "accepted a patch for \(patch.symbol) that names no value")
    for (name, value) in prices {
        guard let value = value ?? nil else { continue }
        invariant(value.isFinite && abs(value) <= PublishDecoder.largestPrice, "accepted \(name) \(value)")
    }
    for (name, value) in sizes {
        guard let value = value ?? nil else { continue }
        invariant(value.isFinite && value >= 0 && value <= PublishDecoder.largestSize, "accepted \(name) \(value)")
    }
    if let bid = patch.bid ?? nil, let ask = patch.ask ?? nil {
        invariant(bid <= ask, "accepted a crossed book: bid \(bid), ask \(ask)")
    }
    if let low = patch.low ?? nil, let high = patch.high ?? nil {
        invariant(low <= high, "accepted low \(low) above high \(high)")
    }
    if let ts = patch.sourceTime {
        invariant(ts >= earliestStamp && ts <= now + 60_000_000, "accepted ts \(ts) µs")
    }
}

/// 2000-01-01, µs: the earliest `ts` the decoder takes.
let earliestStamp: Int64 = 946_684_800_000_000

/// How many items a message holds: 1 for an object, the elements of an array. Only called on bytes the decoder
/// accepted, so they are JSON and a count of top-level commas outside strings is enough.
func topLevelItems(_ body: [UInt8]) -> Int {
    var depth = 0, commas = 0, inString = false, escaped = false, sawArray = false, sawElement = false
    for byte in body {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
            if depth == 1 && sawArray { sawElement = true }
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            if depth == 0 { sawArray = byte == UInt8(ascii: "[") } else if depth == 1 && sawArray { sawElement = true }
            depth += 1
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            depth -= 1
        case UInt8(ascii: ","):
            if depth == 1 { commas += 1 }
        case 0x20, 0x09, 0x0A, 0x0D:
            break
        default:
            if depth == 1 && sawArray { sawElement = true }
        }
    }
    guard sawArray else { return 1 }
    return sawElement ? commas + 1 : 0
}

func sameOutcome(_ a: PublishDecoder.Decoded, _ b: PublishDecoder.Decoded) -> Bool {
    a.rejections == b.rejections && a.patches.count == b.patches.count && zip(a.patches, b.patches).allSatisfy(samePatch)
}

/// Equality that tells -0.0 from 0.0, field by field.
func samePatch(_ a: QuotePatch, _ b: QuotePatch) -> Bool {
    a.symbol == b.symbol && a.sourceTime == b.sourceTime && a.delayed == b.delayed && a.stale == b.stale
        && patchFields.allSatisfy { sameValue(a[keyPath: $0.path], b[keyPath: $0.path]) }
}

func sameValue(_ a: Double??, _ b: Double??) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case let (x??, y??): x.bitPattern == y.bitPattern
    case (.some(nil), .some(nil)): true
    default: false
    }
}
