import Foundation
@testable import MarketData
import Testing

@Suite("Response cache")
struct ResponseCacheTests {
    @Test(arguments: [
        ("public, max-age=1, stale-while-revalidate=9", 1),
        ("max-age=10, stale-while-revalidate=20", 10),
        ("private, max-age=60, stale-while-revalidate=30", 60),
    ])
    func readsMaxAgeFromRecordedHeaders(header: String, seconds: Int) {
        #expect(ResponseCache.maxAge(header) == seconds)
    }

    @Test func noMaxAgeMeansNoCaching() {
        #expect(ResponseCache.maxAge("no-store") == nil)
        #expect(ResponseCache.maxAge(nil) == nil)
    }

    @Test func keepsAResponseForItsMaxAgeOnly() {
        let cache = ResponseCache()
        let response = HTTPFetcher.Response(status: 200, contentType: "application/json", body: Data("{}".utf8))
        cache.store("u", response, seconds: 60)
        #expect(cache.fresh("u")?.body == Data("{}".utf8))
        cache.store("v", response, seconds: 0)
        #expect(cache.fresh("v") == nil)
    }
}
