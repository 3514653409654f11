import HubProtocol
import Testing

@Suite struct StreamRequestTests {
    static func parse(_ text: String) -> Result<StreamRequest, StreamRequest.Refusal> { StreamRequest.parse(Array(text.utf8)) }

    @Test func theDocumentedMessages() {
        #expect(Self.parse(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#) == .success(.subscribe(symbols: ["AAPL", "MSFT"], channels: nil)))
        #expect(Self.parse(#"{"op":"unsubscribe","channels":["pnl"]}"#) == .success(.unsubscribe(symbols: nil, channels: ["pnl"])))
        #expect(Self.parse(#"{"op":"ping","id":7}"#) == .success(.ping(id: .number(7))))
        #expect(Self.parse(#"{"op":"ping","id":"x"}"#) == .success(.ping(id: .text("x"))))
        #expect(Self.parse(#"{"op":"ping"}"#) == .success(.ping(id: .none)))
        #expect(Self.parse(#"{"op":"auth","token":"t"}"#) == .success(.auth(token: "t")))
    }

    /// A symbol that is not a string is refused alone, in its place; the others are taken.
    @Test func symbolsThatAreNotStringsStayInPlace() {
        #expect(Self.parse(#"{"op":"subscribe","symbols":["AAPL",1,null,"MSFT"]}"#)
            == .success(.subscribe(symbols: ["AAPL", nil, nil, "MSFT"], channels: nil)))
    }

    @Test(arguments: [
        ("not json", "bad_json"), ("[]", "bad_json"), (#"{"symbols":[]}"#, "missing_op"), (#"{"op":"subscribe"}"#, "bad_request"),
        (#"{"op":"subscribe","symbols":"AAPL"}"#, "bad_request"), (#"{"op":"subscribe","channels":[1]}"#, "bad_request"),
        (#"{"op":"sell"}"#, "unknown_op"),
    ])
    func refusals(message: String, code: String) {
        guard case let .failure(refusal) = Self.parse(message) else {
            Issue.record("\(message) accepted")
            return
        }
        #expect(refusal.code == code)
    }

    @Test func anUnknownOpIsEchoedQuotedNeverRaw() {
        guard case let .failure(refusal) = Self.parse("{\"op\":\"a\\u0000b\\u001b\(String(repeating: "x", count: 100))\"}") else {
            Issue.record("accepted")
            return
        }
        #expect(!refusal.message.unicodeScalars.contains { $0.value < 0x20 })
        #expect(refusal.message.count < 120)
    }
}
