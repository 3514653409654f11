import HubProtocol
import HubTestSupport
import Testing

@testable import Hub

/// CORS decisions without a socket: which origins get headers, what a preflight is answered, and that the guard on
/// writes and the CORS headers read one allowlist the same way.
@Suite struct CrossOriginTests {
    static let dashboard = "http://localhost:3000"

    static func configuration(_ origins: [String] = [dashboard]) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.allowedOrigins = origins
        return c
    }

    static func request(_ method: HTTPRequest.Method, _ path: String, _ headers: [String: String]) -> HTTPRequest {
        HTTPRequest(method: method, path: path, headers: ["host": "127.0.0.1:8080"].merging(headers) { $1 })
    }

    static func preflight(_ path: String, origin: String, method: String = "GET", headers: String? = nil) -> HTTPRequest {
        var asked = ["origin": origin, "access-control-request-method": method]
        if let headers { asked["access-control-request-headers"] = headers }
        return request(.options, path, asked)
    }

    @Test(arguments: [
        ("http://localhost:3000", "http://localhost:3000"), ("HTTP://LocalHost:3000/", "http://localhost:3000"),
        ("https://dash.example.net:443", "https://dash.example.net"), ("http://dash.example.net:80", "http://dash.example.net"),
        ("http://[::1]:8000", "http://[::1]:8000"), ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ])
    func originsAreComparedAsBrowsersWriteThem(given: String, canonical: String) {
        #expect(CrossOrigin.canonical(given) == canonical)
    }

    @Test(arguments: ["*", "null", "localhost:3000", "http://", "http://localhost:3000/app", "ftp://x", "http://a:99999",
                      "http://user@host", "http://host:", "https://*.example.net"])
    func anythingButAnOriginIsRefused(text: String) {
        #expect(CrossOrigin.canonical(text) == nil)
    }

    @Test func withoutAnAllowlistNoHeaderIsAdded() {
        let cors = CrossOrigin(configuration: ServerConfiguration())
        #expect(cors.responseHeaders(origin: Self.dashboard).isEmpty)
        #expect(cors.responseHeaders(origin: nil).isEmpty)
    }

    @Test func anAllowedOriginIsNamedBackAndOthersGetOnlyVary() {
        let cors = CrossOrigin(configuration: Self.configuration())
        let allowed = Dictionary(cors.responseHeaders(origin: Self.dashboard), uniquingKeysWith: { $1 })
        #expect(allowed["access-control-allow-origin"] == Self.dashboard)
        #expect(allowed["vary"] == "origin")
        #expect(allowed["access-control-allow-credentials"] == nil, "the token is a header, never a cookie")
        for other in ["http://localhost:3001", "https://localhost:3000", "http://evil.example", "null"] {
            #expect(cors.responseHeaders(origin: other).map(\.0) == ["vary"], "\(other)")
        }
        #expect(cors.responseHeaders(origin: nil).map(\.0) == ["vary"])
    }

    @Test func decoratingKeepsWhatTheAnswerAlreadySays() {
        let cors = CrossOrigin(configuration: Self.configuration())
        let answer = cors.decorate(.noContent([("vary", "origin")]), origin: Self.dashboard)
        #expect(answer.headers.filter { $0.0 == "vary" }.count == 1)
        #expect(answer.header["access-control-allow-origin"] == Self.dashboard)
    }

    @Test func aPreflightFromAnAllowedOriginGetsTheTablesMethodsAndTheHeadersTheHubReads() async {
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: ManualClock()) { $0 = Self.configuration() }
        let response = await hub.answer(Self.preflight("/api/ibkr/connect", origin: Self.dashboard, method: "POST",
                                                       headers: "Content-Type, Authorization, X-Debug"))
        #expect(response?.status == 204)
        #expect(response?.body.isEmpty == true)
        #expect(response?.header["access-control-allow-origin"] == Self.dashboard)
        #expect(response?.header["access-control-allow-methods"] == "POST")
        #expect(response?.header["access-control-allow-headers"] == "content-type, authorization")
        #expect(response?.header["access-control-max-age"] == "600")
        #expect(response?.header["vary"] == "origin")
        let read = await hub.answer(Self.preflight("/api/portfolio/summary", origin: Self.dashboard))
        #expect(read?.header["access-control-allow-methods"] == "GET, HEAD")
        #expect(read?.header["access-control-allow-headers"] == nil, "nothing asked, nothing granted")
    }

    @Test func aPageOnAnotherNetworkMayReachALoopbackHubWhenItsOriginIsAllowed() {
        let cors = CrossOrigin(configuration: Self.configuration(["http://10.0.0.5:3000"]))
        var asked = Self.preflight("/api/portfolio/summary", origin: "http://10.0.0.5:3000")
        #expect(cors.options(asked, methods: [.get, .head, .options]).header["access-control-allow-private-network"] == nil)
        asked.headers["access-control-request-private-network"] = "true"
        #expect(cors.options(asked, methods: [.get, .head, .options]).header["access-control-allow-private-network"] == "true")
        asked.headers["origin"] = "http://10.0.0.6:3000"
        #expect(cors.options(asked, methods: [.get, .head, .options]).header["access-control-allow-private-network"] == nil)
    }

    @Test func aPreflightFromAnotherOriginIs403WithoutCORSHeaders() async {
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: ManualClock()) { $0 = Self.configuration() }
        let response = await hub.answer(Self.preflight("/api/portfolio/summary", origin: "http://evil.example"))
        #expect(response?.status == 403)
        #expect(response?.text.contains("origin_not_allowed") == true)
        #expect(response?.header["access-control-allow-origin"] == nil)
        #expect(response?.header["access-control-allow-methods"] == nil)
    }

    @Test func anOptionsRequestThatIsNoPreflightListsTheMethods() async {
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: ManualClock())
        let response = await hub.answer(Self.request(.options, "/api/positions/7", [:]))
        #expect(response?.status == 404, "positions are the Portfolio feature's; this hub has none")
        let health = await hub.answer(Self.request(.options, "/api/health", [:]))
        #expect(health?.status == 204 && health?.header["allow"] == "GET, HEAD, OPTIONS")
        #expect(health?.header["access-control-allow-origin"] == nil)
    }

    @Test func aPreflightNeedsNoTokenButWhatFollowsItDoes() async {
        let hub = FanoutHub.forTesting(host: FakeHost(), clock: ManualClock()) {
            $0 = Self.configuration()
            $0.token = "s3cret"
        }
        #expect(await hub.answer(Self.preflight("/api/portfolio/summary", origin: Self.dashboard, headers: "authorization"))?.status == 204)
        #expect(await hub.answer(Self.request(.get, "/api/portfolio/summary", ["origin": Self.dashboard]))?.status == 401)
        #expect(await hub.answer(Self.request(.get, "/health", [:]))?.status == 401, "/health tells the broker's address: token too")
        let granted = await hub.answer(Self.request(.get, "/api/portfolio/summary", ["origin": Self.dashboard, "authorization": "Bearer s3cret"]))
        #expect(granted?.status == 200)
    }

    @Test func theGuardAdmitsWritesFromTheOriginsCORSAllows() {
        // Written in the file as a user might; compared as the browser sends it.
        let guardian = BrowserGuard(configuration: Self.configuration(["HTTP://LocalHost:3000/"]))
        let cors = CrossOrigin(configuration: Self.configuration(["HTTP://LocalHost:3000/"]))
        for (origin, allowed) in [(Self.dashboard, true), ("http://localhost:3001", false), ("http://evil.example", false)] {
            let post = Self.request(.post, "/api/ibkr/connect", ["origin": origin])
            #expect((guardian.check(post) == nil) == allowed, "\(origin) POST")
            let stream = Self.request(.get, "/stream", ["origin": origin])
            #expect((guardian.check(stream) == nil) == allowed, "\(origin) /stream")
            #expect(cors.isAllowed(origin) == allowed, "\(origin) CORS")
        }
    }
}
