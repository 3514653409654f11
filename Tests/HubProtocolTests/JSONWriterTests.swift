import Foundation
import Testing

@testable import HubProtocol

@Suite("JSONWriter")
struct JSONWriterTests {
    func text(_ build: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        build(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// What Foundation makes of the bytes: they must be valid JSON.
    func parsed(_ w: JSONWriter) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(w.bytes), options: [.fragmentsAllowed])
    }

    @Test func emptyContainers() {
        #expect(text { $0.beginObject(); $0.endObject() } == "{}")
        #expect(text { $0.beginArray(); $0.endArray() } == "[]")
    }

    @Test func nestingPutsCommasOnlyBetweenSiblings() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", 1)
        w.key("b")
        w.beginArray()
        w.value(1)
        w.value("two")
        w.beginObject()
        w.field("c", nil as String?)
        w.endObject()
        w.beginArray()
        w.endArray()
        w.endArray()
        w.key("d")
        w.beginObject()
        w.key("e")
        w.beginObject()
        w.field("f", true)
        w.endObject()
        w.endObject()
        w.field("g", false)
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":1,"b":[1,"two",{"c":null},[]],"d":{"e":{"f":true}},"g":false}"#)
        let object = try #require(try parsed(w) as? [String: Any])
        #expect(object.keys.sorted() == ["a", "b", "d", "g"])
    }

    @Test func arrayOfObjects() {
        #expect(text {
            $0.beginArray()
            for i in 0..<3 {
                $0.beginObject()
                $0.field("i", i)
                $0.endObject()
            }
            $0.endArray()
        } == #"[{"i":0},{"i":1},{"i":2}]"#)
    }

    @Test func stringsAreEscaped() throws {
        let nasty = "quote \" backslash \\ newline \n return \r tab \t bell \u{07} nul \u{00} unit \u{1F} slash / é € 😀"
        let json = text { $0.beginObject(); $0.field("s", nasty); $0.endObject() }
        #expect(json == #"{"s":"quote \" backslash \\ newline \n return \r tab \t bell \u0007 nul \u0000 unit \u001f slash / é € 😀"}"#)
        var w = JSONWriter()
        w.value(nasty)
        #expect(try parsed(w) as? String == nasty)
    }

    @Test func keysAreEscapedToo() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("a\"b\n", 1)
        w.endObject()
        let object = try #require(try parsed(w) as? [String: Any])
        #expect(object["a\"b\n"] as? Int == 1)
    }

    @Test func absentAndNonFiniteValuesAreNull() {
        #expect(text {
            $0.beginArray()
            $0.value(nil as String?)
            $0.value(nil as Double?)
            $0.value(nil as Int64?)
            $0.value(Double.nan)
            $0.value(Double.infinity)
            $0.value(-Double.infinity)
            $0.endArray()
        } == "[null,null,null,null,null,null]")
        #expect(text {
            $0.beginObject()
            $0.field("s", nil as String?)
            $0.field("d", Double.nan)
            $0.field("i", nil as Int64?)
            $0.endObject()
        } == #"{"s":null,"d":null,"i":null}"#)
    }

    @Test(arguments: [
        (100.0, "100"), (-3.0, "-3"), (0.0, "0"), (-0.0, "0"), (1.5, "1.5"), (-0.25, "-0.25"), (0.1, "0.1"),
        (230.11, "230.11"), (1.08345, "1.08345"), (999_999_999_999_999.0, "999999999999999"), (1e20, "1e+20"),
        (-2.5e-5, "-2.5e-05"), (1e-7, "1e-07"),
    ])
    func doublesAreIntegralWithoutAPointAndFractionsExact(number: Double, expected: String) throws {
        var w = JSONWriter()
        w.value(number)
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
        #expect((try parsed(w) as? NSNumber)?.doubleValue == number)
    }

    @Test func integers() {
        #expect(text {
            $0.beginArray()
            $0.value(0)
            $0.value(-42)
            $0.value(Int64.max)
            $0.value(Int64.min)
            $0.value(1_795_320_831_924_126 as Int64)
            $0.endArray()
        } == "[0,-42,9223372036854775807,-9223372036854775808,1795320831924126]")
    }

    /// Rounded to a number of places and written as the shortest decimal of at most that many: the binary noise of
    /// the arithmetic never shows.
    @Test func fixedDecimals() {
        #expect(text {
            $0.beginArray()
            $0.value(193.99999999999977, decimals: 2)
            $0.value(5169.750000000004, decimals: 2)
            $0.value(230.10000000000002, decimals: 4)
            $0.value(0.1 + 0.2, decimals: 2)
            $0.value(-0.004, decimals: 2)
            $0.value(-0.005, decimals: 2)
            $0.value(-1234.5, decimals: 2)
            $0.value(0.05, decimals: 2)
            $0.value(1.000001, decimals: 6)
            $0.value(870_075.4, decimals: 0)
            $0.value(nil, decimals: 2)
            $0.value(.nan, decimals: 2)
            $0.endArray()
        } == "[194,5169.75,230.1,0.3,0,-0.01,-1234.5,0.05,1.000001,870075,null,null]")
        // Beyond 2^53 units there is no digit left to round: the number is written as it is.
        #expect(text { $0.value(1e300, decimals: 2) } == "1e+300")
        #expect(text { $0.field("pnl", 12.345678, decimals: 2) } == #""pnl":12.35"#)
    }

    @Test func httpErrorShape() throws {
        let bytes = JSONWriter.error(code: "unknown_symbol", message: "no provider knows \"ZZZZ\"")
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"error":{"code":"unknown_symbol","message":"no provider knows \"ZZZZ\""}}"#)
    }
}
