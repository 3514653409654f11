import FuzzSupport
import TickhubCore

/// One update's operands, laid out as the header of FuzzQuotePatch.swift says.
func readPatch(_ input: inout FuzzInput, symbol: String) -> QuotePatch {
    var patch = QuotePatch(symbol: symbol)
    let mask = input.integer(UInt16.self)
    for (bit, field) in patchFields.enumerated() where mask & (1 << bit) != 0 {
        let tag = input.byte()
        switch tag {
        case 0: patch[keyPath: field.patch] = .some(nil)
        case 1..<0x80: patch[keyPath: field.patch] = .some(notableValues[Int(tag - 1) % notableValues.count])
        default: patch[keyPath: field.patch] = .some(Double(bitPattern: input.integer(UInt64.self)))
        }
    }
    if mask & (1 << 11) != 0 { patch.sourceTime = input.integer(Int64.self) }
    if mask & (1 << 12) != 0 { patch.delayed = input.byte() & 1 == 1 }
    if mask & (1 << 13) != 0 { patch.stale = input.byte() & 1 == 1 }
    return patch
}
