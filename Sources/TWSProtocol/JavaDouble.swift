/// Doubles as TWS writes them: Java's `Double.toString` (`0.0`, `150.5`, `1.0E-5`, `1.7976931348623157E308`).
public enum JavaDouble {
    /// Java writes plain decimals for magnitudes in [10^-3, 10^7) and `d.dddE[-]n` outside it, always with at least
    /// one digit after the point. The digits are the shortest that read back as the same double, as Swift's are.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        // Where Java writes plain decimals, so does Swift (it switches to exponents only below 10^-4 and from 2^53).
        if value.magnitude >= 1e-3, value.magnitude < 1e7 { return value.description }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }

        // Swift's shortest round-trip text, e.g. "150.5", "0.001", "1e-05", "1.7976931348623157e+308".
        let swift = value.magnitude.description
        let mantissa: Substring
        var exponent = 0
        if let e = swift.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = swift[..<e]
            exponent = Int(swift[swift.index(after: e)...]) ?? 0
        } else {
            mantissa = Substring(swift)
        }
        // value = 0.d1d2d3... × 10^point
        var digits = Array(mantissa.filter { $0 != "." })
        var point = (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
            ?? mantissa.count) + exponent
        while digits.count > 1, digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }

        let scientific = point - 1
        if (-3..<7).contains(scientific) {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
            if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0" }
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        let fraction = digits.count > 1 ? String(digits[1...]) : "0"
        return sign + String(digits[0]) + "." + fraction + "E" + String(scientific)
    }
}
