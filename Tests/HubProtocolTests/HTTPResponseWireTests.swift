import Testing

@testable import HubProtocol

@Suite struct HTTPResponseWireTests {
    @Test func theWireFormIsHeadersThenTheBody() {
        let response = HTTPResponse.json(200, Array(#"{"a":1}"#.utf8))
        let text = String(decoding: response.wire(omittingBody: false), as: UTF8.self)
        #expect(text == "content-type: application/json\r\ncontent-length: 7\r\ncache-control: no-store\r\n\r\n{\"a\":1}")
    }

    @Test func headAnnouncesTheBodyWithoutSendingIt() {
        let response = HTTPResponse.json(200, Array(#"{"a":1}"#.utf8)).prepared()
        let text = String(decoding: response.wire(omittingBody: true), as: UTF8.self)
        #expect(text.hasSuffix("content-length: 7\r\ncache-control: no-store\r\n\r\n"))
    }

    @Test func aChangeAfterPreparingIsNotLostToTheRenderedCopy() {
        var response = HTTPResponse.json(200, Array("[]".utf8)).prepared()
        response.headers.append(("connection", "close"))
        #expect(String(decoding: response.wire(omittingBody: false), as: UTF8.self).contains("connection: close\r\n\r\n[]"))
        response.body = Array("[1]".utf8)
        #expect(String(decoding: response.wire(omittingBody: false), as: UTF8.self).hasSuffix("content-length: 3\r\ncache-control: no-store\r\nconnection: close\r\n\r\n[1]"))
    }

    @Test func a204CarriesNeitherContentTypeNorContentLength() {
        let text = String(decoding: HTTPResponse.noContent([("allow", "GET, HEAD, OPTIONS")]).wire(omittingBody: false), as: UTF8.self)
        #expect(text == "allow: GET, HEAD, OPTIONS\r\n\r\n")
    }
}
