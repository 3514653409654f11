import HubProtocol
import Testing

@testable import Hub

@Suite("Auth")
struct AuthTests {
    @Test func matchesOnlyTheExactToken() {
        #expect(Auth.matches("secret", "secret"))
        #expect(Auth.matches("tök€n-✓", "tök€n-✓"))
        #expect(!Auth.matches(nil, "secret"))
        #expect(!Auth.matches("", "secret"))
        #expect(!Auth.matches("Secret", "secret"))
        #expect(!Auth.matches("secreT", "secret"))
        #expect(!Auth.matches("secre", "secret"))  // a prefix
        #expect(!Auth.matches("secret1", "secret"))  // an extension
        #expect(!Auth.matches("secret ", "secret"))
        #expect(!Auth.matches("tercse", "secret"))  // same bytes, other order
        // Bytes beyond the shorter one's length differ only in length: still no match.
        #expect(!Auth.matches("secret\u{0}", "secret"))
    }

    func request(headers: [String: String] = [:], query: [String: String] = [:]) -> HTTPRequest {
        HTTPRequest(method: .get, path: "/api/health", query: query, headers: headers, body: [])
    }

    @Test func presentedTokenFromHeaderOrQuery() {
        #expect(Auth.presentedToken(request()) == nil)
        #expect(Auth.presentedToken(request(headers: ["authorization": "Bearer abc"])) == "abc")
        #expect(Auth.presentedToken(request(headers: ["authorization": "bearer  abc "])) == "abc")
        #expect(Auth.presentedToken(request(headers: ["authorization": "BEARER abc"])) == "abc")
        #expect(Auth.presentedToken(request(query: ["token": "xyz"])) == "xyz")
        // The header wins over the query; a header of another scheme falls back to the query.
        #expect(Auth.presentedToken(request(headers: ["authorization": "Bearer abc"], query: ["token": "xyz"])) == "abc")
        #expect(Auth.presentedToken(request(headers: ["authorization": "Basic dXNlcjpwdw=="], query: ["token": "xyz"])) == "xyz")
        #expect(Auth.presentedToken(request(headers: ["authorization": "Basic dXNlcjpwdw=="])) == nil)
    }

    @Test func presentedThenMatched() {
        let required = "s3cr3t"
        #expect(Auth.matches(Auth.presentedToken(request(headers: ["authorization": "Bearer s3cr3t"])), required))
        #expect(Auth.matches(Auth.presentedToken(request(query: ["token": "s3cr3t"])), required))
        #expect(!Auth.matches(Auth.presentedToken(request(query: ["token": "s3cr3"])), required))
        #expect(!Auth.matches(Auth.presentedToken(request()), required))
    }
}
