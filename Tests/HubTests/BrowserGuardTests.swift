import HubProtocol
import Testing
@testable import Hub

@Suite struct BrowserGuardTests {
    static func request(_ method: HTTPRequest.Method, _ path: String, _ headers: [String: String], body: String = "") -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: [:], headers: headers, body: Array(body.utf8))
    }

    static let loopback: BrowserGuard = {
        var c = ServerConfiguration()
        c.port = 8080
        return BrowserGuard(configuration: c)
    }()

    @Test(arguments: ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "127.0.0.1"])
    func theHubsOwnNamesPass(host: String) {
        #expect(Self.loopback.check(Self.request(.get, "/api/health", ["host": host])) == nil)
    }

    @Test(arguments: ["evil.example:8080", "127.0.0.1.evil.example", "[::1]:8080", "localhost.evil.example"])
    func anyOtherHostIsRefusedEvenForReads(host: String) {
        #expect(Self.loopback.check(Self.request(.get, "/", ["host": host]))?.code == "host_not_allowed")
    }

    @Test func configuredNamesPass() {
        var c = ServerConfiguration()
        c.allowedHosts = ["hub.example.net"]
        let guardian = BrowserGuard(configuration: c)
        #expect(guardian.check(Self.request(.get, "/", ["host": "hub.example.net"])) == nil)
        #expect(guardian.check(Self.request(.get, "/", ["host": "other.example.net"]))?.code == "host_not_allowed")
    }

    @Test func aCrossSiteWriteIsRefusedWhateverItsContentType() {
        for contentType in ["text/plain", "application/json", "multipart/form-data; boundary=x"] {
            let refusal = Self.loopback.check(Self.request(
                .post, "/api/positions", ["host": "127.0.0.1:8080", "origin": "https://evil.example", "content-type": contentType],
                body: "{}"))
            #expect(refusal?.code == "origin_not_allowed", "\(contentType)")
        }
        #expect(Self.loopback.check(Self.request(.post, "/api/ibkr/disconnect", ["host": "127.0.0.1:8080", "origin": "null"]))?.code
            == "origin_not_allowed")
    }

    @Test func theHubsOwnPagesAndProgramsMayWrite() {
        let json = ["host": "127.0.0.1:8080", "content-type": "application/json"]
        #expect(Self.loopback.check(Self.request(.post, "/api/positions", json.merging(["origin": "http://127.0.0.1:8080"]) { $1 }, body: "{}")) == nil)
        #expect(Self.loopback.check(Self.request(.post, "/api/positions", json, body: "{}")) == nil)
        #expect(Self.loopback.check(Self.request(.post, "/api/ibkr/connect", ["host": "127.0.0.1:8080"])) == nil)
    }

    @Test func positionWritesMustNameTheirContentType() {
        let host = ["host": "127.0.0.1:8080"]
        #expect(Self.loopback.check(Self.request(.post, "/api/positions", host.merging(["content-type": "text/plain"]) { $1 }, body: "{}"))?.code
            == "unsupported_media_type")
        #expect(Self.loopback.check(Self.request(.post, "/api/positions", host, body: "{}"))?.code == "unsupported_media_type")
        #expect(Self.loopback.check(Self.request(.post, "/api/positions/import", host.merging(["content-type": "text/csv; charset=utf-8"]) { $1 }, body: "a")) == nil)
        #expect(Self.loopback.check(Self.request(.post, "/api/positions/import", host.merging(["content-type": "multipart/form-data"]) { $1 }, body: "a"))?.code
            == "unsupported_media_type")
        #expect(Self.loopback.check(Self.request(.delete, "/api/positions/7", host)) == nil)
    }

    @Test func theStreamChecksOriginsAndAnAllowlistWidensThem() {
        let evil = Self.request(.get, "/stream", ["host": "127.0.0.1:8080", "origin": "https://dash.example.net"])
        #expect(Self.loopback.check(evil)?.code == "origin_not_allowed")
        var c = ServerConfiguration()
        c.allowedOrigins = ["https://dash.example.net"]
        #expect(BrowserGuard(configuration: c).check(evil) == nil)
    }
}
