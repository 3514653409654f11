import Testing
import TickhubCore
import TWSProtocol

/// Doubles are written as Java's `Double.toString` writes them, because TWS is Java.
@Suite("JavaDouble")
struct JavaDoubleTests {
    @Test(arguments: [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (150.5, "150.5"),
        (-2.0, "-2.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.01, "0.01"),
        (0.1 + 0.2, "0.30000000000000004"),
        (201.8829709, "201.8829709"),
        (-103.92738339177643, "-103.92738339177643"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157E308"),
        (-Double.greatestFiniteMagnitude, "-1.7976931348623157E308"),
        (1e-5, "1.0E-5"),
        (1.5e-7, "1.5E-7"),
        (2.5e-300, "2.5E-300"),
        // Java switches to scientific notation below 10^-3 and from 10^7.
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (9_999_999.0, "9999999.0"),
        (10_000_000.0, "1.0E7"),
        (12_345_678.9, "1.23456789E7"),
        (-29_162_340.5, "-2.91623405E7"),
        (1e16, "1.0E16"),
        (1e21, "1.0E21"),
        (Double.infinity, "Infinity"),
        (-Double.infinity, "-Infinity"),
    ])
    func format(_ value: Double, _ expected: String) {
        #expect(JavaDouble.format(value) == expected)
    }

    @Test func nan() {
        #expect(JavaDouble.format(.nan) == "NaN")
    }

    /// Whatever the notation, the text reads back as the same double.
    @Test func formattedDoublesParseBack() {
        var random = SeededGenerator(seed: 0xD0B1E)
        for _ in 0..<5000 {
            let value = Double(bitPattern: random.next())
            guard value.isFinite else { continue }
            let text = JavaDouble.format(value)
            #expect(Double(text) == value, "\(text)")
            #expect(text.contains("."), "\(text)")
            let plain = value.magnitude >= 1e-3 && value.magnitude < 1e7
            #expect(text.contains("E") != plain, "\(text)")
            #expect(!text.contains("+") && !text.contains("e") && !text.contains("E-0"), "\(text)")
        }
        for _ in 0..<2000 {
            let value = Double.random(in: -1e9...1e9, using: &random).rounded() / 100
            #expect(Double(JavaDouble.format(value)) == value)
        }
    }
}
