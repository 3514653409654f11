import NIOCore
import Testing
import TWSProtocol

/// From server version 153 TWS sends non-ASCII characters as `\uXXXX` UTF-16 escapes; below it, raw bytes.
@Suite("Text escaping")
struct TextEscapingTests {
    static func summary(_ value: String) -> AccountSummary {
        AccountSummary(requestID: 1, account: "DU1", tag: "SegmentTitle", value: value, currency: "")
    }

    @Test func nonASCIIIsEscapedFrom153AndRoundTrips() throws {
        let payload = Wire.payload(of: Self.summary("Société Générale"), serverVersion: 176)
        #expect(Wire.pipes(payload) == #"63|1|1|DU1|SegmentTitle|Soci\u00e9t\u00e9 G\u00e9n\u00e9rale||"#)
        #expect(Wire.bytes(payload).allSatisfy { $0 < 0x80 })
        #expect(try ServerMessage.decode(payload, serverVersion: 176) == .accountSummary(Self.summary("Société Générale")))
        #expect(try ServerMessage.decode(payload, serverVersion: 153) == .accountSummary(Self.summary("Société Générale")))
    }

    @Test func escapingIsNotAppliedBelow153() throws {
        let payload = Wire.payload(of: Self.summary("Société Générale"), serverVersion: 152)
        #expect(Wire.bytes(payload) == Array("63\u{0}1\u{0}1\u{0}DU1\u{0}SegmentTitle\u{0}Société Générale\u{0}\u{0}".utf8))
        #expect(try ServerMessage.decode(payload, serverVersion: 152) == .accountSummary(Self.summary("Société Générale")))
        // An escape sequence below 153 is just text.
        let literal = Wire.payload(#"63|1|1|DU1|SegmentTitle|Soci\u00e9t\u00e9||"#)
        #expect(try ServerMessage.decode(literal, serverVersion: 152) == .accountSummary(Self.summary(#"Soci\u00e9t\u00e9"#)))
        #expect(try ServerMessage.decode(literal, serverVersion: 176) == .accountSummary(Self.summary("Société")))
    }

    @Test(arguments: ["Zürich €", "東京証券取引所", "📈 up", "naïve\\path", "ASCII only", ""])
    func roundTripsAtEveryVersion(_ text: String) throws {
        for serverVersion in [152, 153, 176, 200] {
            let payload = Wire.payload(of: Self.summary(text), serverVersion: serverVersion)
            #expect(try ServerMessage.decode(payload, serverVersion: serverVersion) == .accountSummary(Self.summary(text)))
        }
    }

    @Test func surrogatePairsAreTwoEscapes() {
        let payload = Wire.payload(of: Self.summary("📈"), serverVersion: 176)
        #expect(Wire.pipes(payload) == #"63|1|1|DU1|SegmentTitle|\ud83d\udcc8||"#)
    }

    @Test func requestsAreEscapedToo() throws {
        let request = RequestAccountUpdates(subscribe: true, account: "Café")
        let payload = Wire.payload(of: request, serverVersion: 176)
        #expect(Wire.pipes(payload) == #"6|2|1|Caf\u00e9|"#)
        #expect(try ClientMessage.decode(payload, serverVersion: 176) == .requestAccountUpdates(request))
    }

    @Test func malformedEscapesStayAsText() throws {
        let payload = Wire.payload(#"63|1|1|DU1|T|a\u00zz b\u12|C|"#)
        #expect(try ServerMessage.decode(payload, serverVersion: 176)
            == .accountSummary(AccountSummary(requestID: 1, account: "DU1", tag: "T", value: #"a\u00zz b\u12"#, currency: "C")))
    }
}
