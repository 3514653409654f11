import ClientPortal
import Testing

@Suite("Formatted numbers")
struct FormattedNumberTests {
    @Test(arguments: [
        ("382.89", 382.89), ("1,300", 1300), ("12,345,678", 12_345_678), ("1,300.25", 1300.25), ("0", 0), ("-1.25", -1.25),
        ("+2", 2), (".5", 0.5), (" 42 ", 42), ("100", 100),
    ])
    func plainAndGrouped(text: String, expected: Double) {
        let read = FormattedNumber.parse(text)
        #expect(read == FormattedValue(value: expected))
    }

    @Test(arguments: [("1.2K", 1_200.0), ("45.6M", 45_600_000.0), ("1.5B", 1_500_000_000.0), ("950K", 950_000.0), ("2M", 2_000_000.0)])
    func suffixesScaleAndMarkApproximate(text: String, expected: Double) throws {
        let read = try #require(FormattedNumber.parse(text))
        #expect(abs(read.value - expected) < 1e-6)
        #expect(read.isApproximate)
        #expect(!read.isPriorClose && !read.isHalted)
    }

    @Test func priorCloseAndHaltedPrefixesAreFlags() throws {
        let close = try #require(FormattedNumber.parse("C382.10"))
        #expect(close == FormattedValue(value: 382.10, isPriorClose: true))
        let halted = try #require(FormattedNumber.parse("H12.5"))
        #expect(halted == FormattedValue(value: 12.5, isHalted: true))
        #expect(FormattedNumber.parse("CH1")?.isPriorClose == true && FormattedNumber.parse("CH1")?.isHalted == true)
        // A prefix twice is not the gateway's.
        #expect(FormattedNumber.parse("CC1") == nil)
    }

    @Test func percentOnlyWhereAsked() {
        #expect(FormattedNumber.parse("0.08%", percent: true)?.value == 0.08)
        #expect(FormattedNumber.parse("0.08%") == nil)
    }

    /// Never a wrong number: anything off the gateway's grammar is no number at all.
    @Test(arguments: [
        "", " ", "N/A", "n/a", "-", ".", "+", "C", "H", "K", "1e5", "1E5", "0x10", "nan", "NaN", "inf", "Infinity", "1,2", "1,23",
        "1234,567", "12,34,567", "1,300,", ",300", "1.2.3", "1.2,300", "1..2", "1 300", "1.2KK", "1.2k", "K1", "$12", "12$",
        "1\u{0}2", "١٢٣", "12.5 USD", "--1", "+-1", "1.2X",
    ])
    func garbageIsNoNumber(text: String) {
        #expect(FormattedNumber.parse(text) == nil, "\(text) read as a number")
    }

    @Test func hugeValuesAreRefusedNotInfinite() {
        let digits = String(repeating: "9", count: 299)
        #expect(FormattedNumber.parse(digits + "B") == nil || FormattedNumber.parse(digits + "B")!.value.isFinite)
        #expect(FormattedNumber.parse(String(repeating: "9", count: 400)) == nil)
    }

    @Test func volumeIsWrittenAsTheGatewayFormatsIt() {
        #expect(FormattedNumber.formatVolume(950) == "950")
        #expect(FormattedNumber.formatVolume(1_234) == "1.2K")
        #expect(FormattedNumber.formatVolume(45_612_345) == "45.6M")
        #expect(FormattedNumber.formatVolume(1_500_000_000) == "1.5B")
        for volume in [0.0, 999, 1_000, 1_049, 99_999, 12_345_678, 9.9e11] {
            let read = FormattedNumber.parse(FormattedNumber.formatVolume(volume))
            #expect(read != nil)
            #expect(abs(read!.value - volume) <= volume * 0.05 + 0.5)
        }
    }

    @Test func groupedSizesReadBack() {
        #expect(FormattedNumber.formatGrouped(1_300) == "1,300")
        #expect(FormattedNumber.formatGrouped(999) == "999")
        #expect(FormattedNumber.formatGrouped(-1_234_567.891, decimals: 2) == "-1,234,567.89")
        for value in [0.0, 1, 999, 1_000, 1_000_000, 123_456_789] {
            #expect(FormattedNumber.parse(FormattedNumber.formatGrouped(value))?.value == value)
        }
    }
}
