/// Doubles as TWS writes them: Java's `Double.toString` (`0.0`, `150.5`, `1.7976931348623157E308`).
public enum JavaDouble {
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        let swift = value.description  // shortest round-trip digits, e.g. "150.5", "1e-05", "1.7976931348623157e+308"
        guard let e = swift.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return swift.contains(".") ? swift : swift + ".0"
        }
        var mantissa = String(swift[..<e])
        if !mantissa.contains(".") { mantissa += ".0" }
        var exponent = swift[swift.index(after: e)...]
        if exponent.first == "+" { exponent = exponent.dropFirst() }
        return mantissa + "E" + exponent
    }
}
