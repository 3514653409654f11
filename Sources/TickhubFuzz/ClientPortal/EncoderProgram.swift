import Foundation
import FuzzSupport
import ClientPortal
import TickhubCore

/// Values the simulator writes, read back by the transport's reader.
///
/// Program: [conid: 4 bytes][updated: 8 bytes] then per field [field index][kind][value: 8 bytes, a Double's bits]:
/// kind picks the spelling (price, prior close, halted, size, volume, exact volume). Each field's text is read back
/// through `StreamMessage.decode` and must give what the spelling holds: the price to its two decimals, the flags
/// of its prefix, the volume rounded as "K/M/B" rounds.
func checkEncoders(_ input: inout FuzzInput) {
    let conid = Int(input.integer(UInt32.self) % 1_000_000_000) + 1
    let updated = Int64(input.integer(UInt64.self) % 4_000_000_000_000) + 1
    var fields: [MarketDataField: String] = [:]
    var expected: [MarketDataField: (Double, FormattedValue)] = [:]
    let all = MarketDataField.allCases.filter { $0 != .symbol && $0 != .deliveryMarker && $0 != .availability }
    while !input.isAtEnd {
        let field = input.pick(all)
        let kind = input.byte() % 6
        let raw = Double(bitPattern: input.integer(UInt64.self))
        // Figures a market gives: finite, within a trillion, not so small that two decimals erase them.
        guard raw.isFinite, abs(raw) < 1e12 else { continue }
        let text: String
        switch kind {
        case 0: text = FieldText.price(raw)
        case 1: text = FieldText.priorClose(abs(raw))
        case 2: text = FieldText.halted(abs(raw))
        case 3: text = FieldText.size(raw.rounded())
        case 4: text = FieldText.volume(abs(raw))
        default: text = FieldText.volumeLong(abs(raw))
        }
        fields[field] = text
        guard let read = FormattedNumber.parse(text) else { violated("FieldText wrote \(text) for \(raw), which does not read") }
        expected[field] = (raw, read)
        invariant(read.isPriorClose == (kind == 1) && read.isHalted == (kind == 2), "\(text) read with the wrong prefix")
        switch kind {
        case 0, 1, 2:
            let cents = (abs(raw) * 100).rounded() / 100
            invariant(abs(abs(read.value) - cents) <= max(1e-9, cents * 1e-12), "price \(raw) written \(text) read as \(read.value)")
        case 3:
            invariant(read.value == raw.rounded() || (read.value == 0 && raw.rounded() == 0), "size \(raw) written \(text) read as \(read.value)")
        case 4:
            // One decimal of the unit: within 5 % above a thousand, exact below.
            let value = abs(raw)
            if value < 999.5 { invariant(read.value == value.rounded(), "volume \(value) written \(text) read as \(read.value)") }
            else { invariant(abs(read.value - value) <= value * 0.05 + 1, "volume \(value) written \(text) read as \(read.value)") }
        default:
            invariant(read.value == abs(raw).rounded(), "exact volume \(raw) written \(text) read as \(read.value)")
        }
    }
    let message = StreamEncoding.marketData(conid: conid, updated: updated, fields: fields)
    guard case let .marketData(update) = StreamMessage.decode(Data(message.utf8)) else {
        violated("the simulator's message \(message) is not read as market data")
    }
    invariant(update.conid == conid && update.updated == updated, "\(message) read as conid \(update.conid) at \(String(describing: update.updated))")
    for (field, (_, read)) in expected {
        let got = update.values[field] ?? nil
        let percent = field == .changePercent || field == .impliedVolatility
        invariant(got == read || percent, "field \(field.code) written \(fields[field]!) read as \(String(describing: got))")
    }
    invariant(Set(update.values.keys) == Set(fields.keys), "fields \(fields.keys.map(\.code)) read as \(update.values.keys.map(\.code))")
    checkUpdate(update)

    let row = "[" + StreamEncoding.snapshotRow(conid: conid, updated: updated, fields: [:]) + "]"
    guard let primed = try? MarketDataUpdate.decodeSnapshot(Data(row.utf8)), primed.updates.count == 1, primed.updates[0].isPriming else {
        violated("the priming row \(row) is not read as priming")
    }
}
