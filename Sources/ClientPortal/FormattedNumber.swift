/// A number as the gateway writes it in a market-data field, with what its prefix said.
public struct FormattedValue: Equatable, Sendable {
    public var value: Double
    /// "C" prefix: the value is the previous session's close, shown where the last price would be (no trade yet).
    public var isPriorClose: Bool
    /// "H" prefix: trading in the instrument is halted; the value is still its last price.
    public var isHalted: Bool
    /// A "K", "M" or "B" suffix rounded the value: good for display, not for sums or for replacing an exact figure.
    public var isApproximate: Bool

    public init(value: Double, isPriorClose: Bool = false, isHalted: Bool = false, isApproximate: Bool = false) {
        self.value = value
        self.isPriorClose = isPriorClose
        self.isHalted = isHalted
        self.isApproximate = isApproximate
    }
}

/// Reading and writing the gateway's formatted numbers: "1,300", "1.2K", "45.6M", "1.5B", "C382.10", "H12.5".
///
/// The grammar is strict on purpose: an optional "C"/"H" prefix, an optional sign, digits (with commas only
/// between groups of three), an optional fraction, an optional K/M/B suffix, and for percentages an optional "%".
/// Anything else ("N/A", "", "1e5", "0x10", "nan", "1,2,3") is no number, so a garbled field is shown as
/// missing, never as a wrong figure.
public enum FormattedNumber {
    public static func parse(_ text: String, percent: Bool = false) -> FormattedValue? {
        var bytes = Substring(text).utf8.drop { $0 == 0x20 }
        while let last = bytes.last, last == 0x20 { bytes = bytes.dropLast() }
        var result = FormattedValue(value: 0)
        // Prefixes, each at most once, in either order.
        while let first = bytes.first {
            if first == UInt8(ascii: "C"), !result.isPriorClose { result.isPriorClose = true }
            else if first == UInt8(ascii: "H"), !result.isHalted { result.isHalted = true }
            else { break }
            bytes = bytes.dropFirst()
        }
        if percent, bytes.last == UInt8(ascii: "%") { bytes = bytes.dropLast() }
        var scale = 1.0
        switch bytes.last {
        case UInt8(ascii: "K")?: scale = 1e3
        case UInt8(ascii: "M")?: scale = 1e6
        case UInt8(ascii: "B")?: scale = 1e9
        default: break
        }
        if scale != 1 {
            bytes = bytes.dropLast()
            result.isApproximate = true
        }
        guard let plain = plainDecimal(bytes), let number = Double(plain) else { return nil }
        let value = number * scale
        guard value.isFinite else { return nil }
        result.value = value
        return result
    }

    /// The digits of `[+-]d[,ddd]*[.d*]` without the commas, or nil when the text is anything else.
    private static func plainDecimal(_ bytes: Substring.UTF8View.SubSequence) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            out.append(bytes[index])
            index = bytes.index(after: index)
        }
        var integerDigits = 0
        var sinceComma: Int? = nil
        var sawDot = false
        var fractionDigits = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(byte)
                if sawDot { fractionDigits += 1 } else {
                    integerDigits += 1
                    if let count = sinceComma { sinceComma = count + 1 }
                }
            case UInt8(ascii: ","):
                // A comma separates thousands: after 1-3 leading digits, then every three.
                guard !sawDot, integerDigits > 0 else { return nil }
                if let count = sinceComma { guard count == 3 else { return nil } } else { guard integerDigits <= 3 else { return nil } }
                sinceComma = 0
            case UInt8(ascii: "."):
                guard !sawDot else { return nil }
                sawDot = true
                out.append(byte)
            default:
                return nil
            }
            index = bytes.index(after: index)
        }
        if let count = sinceComma, count != 3 { return nil }
        guard integerDigits + fractionDigits > 0, integerDigits < 300 else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// A volume as the gateway formats field 87: whole below a thousand, else one decimal with K, M or B
    /// ("950", "1.2K", "45.6M", "1.5B"). For the simulator, so the transport reads back what it writes.
    public static func formatVolume(_ volume: Double) -> String {
        guard volume.isFinite else { return "" }
        let magnitude = abs(volume)
        let (scale, suffix): (Double, String) =
            magnitude >= 1e9 ? (1e9, "B") : magnitude >= 1e6 ? (1e6, "M") : magnitude >= 1e3 ? (1e3, "K") : (1, "")
        if scale == 1 { return String(Int64(volume.rounded())) }
        let tenths = (volume / scale * 10).rounded()
        let whole = Int64(tenths) / 10
        let fraction = abs(Int64(tenths) % 10)
        return "\(whole).\(fraction)\(suffix)"
    }

    /// A number with thousands separators ("1,300", "12,345.5"), as the gateway writes sizes.
    public static func formatGrouped(_ value: Double, decimals: Int = 0) -> String {
        guard value.isFinite else { return "" }
        let scale = (0..<max(0, decimals)).reduce(1.0) { value, _ in value * 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "" }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + String(digits.suffix(3)) + grouped
            digits = String(digits.dropLast(3))
        }
        grouped = digits + grouped
        if decimals > 0 {
            let fraction = String(units % Int64(scale))
            grouped += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (value < 0 && units != 0 ? "-" : "") + grouped
    }
}
