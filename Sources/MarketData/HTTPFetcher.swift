import AsyncHTTPClient
import Foundation
import Synchronization
import TickhubCore
import NIOCore

/// One GET over AsyncHTTPClient, reduced to what the parsers need: status, content type, body (bounded).
struct HTTPFetcher: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount
    /// Successful responses kept for their `Cache-Control: max-age`, so an early poll never re-asks.
    let cache = ResponseCache()
    /// Bodies beyond this are refused: no quote response is anywhere near it.
    static let maximumBody = 4 << 20

    struct Response: Sendable {
        var status: Int
        var contentType: String?
        var body: Data
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> Response {
        if let cached = cache.fresh(url) { return cached }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "accept", value: "application/json, text/plain, */*")
        // A browser-like agent; Yahoo refuses obvious scripts more eagerly.
        request.headers.add(name: "user-agent", value: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: Self.maximumBody)
        let result = Response(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
            body: Data(body.readableBytesView))
        if result.status == 200, let maxAge = ResponseCache.maxAge(response.headers.first(name: "cache-control")) {
            cache.store(url, result, seconds: maxAge)
        }
        return result
    }
}

final class ResponseCache: Sendable {
    private let cached = Mutex<[String: (response: HTTPFetcher.Response, expires: Date)]>([:])

    func fresh(_ url: String) -> HTTPFetcher.Response? {
        cached.withLock { entries in
            guard let entry = entries[url] else { return nil }
            guard entry.expires > Date() else {
                entries[url] = nil
                return nil
            }
            return entry.response
        }
    }

    func store(_ url: String, _ response: HTTPFetcher.Response, seconds: Int) {
        guard seconds > 0 else { return }
        cached.withLock { entries in
            // Bounded: a provider polls its subscriptions, not the web.
            if entries.count > 1_000 { entries.removeAll() }
            entries[url] = (response, Date().addingTimeInterval(Double(seconds)))
        }
    }

    /// `max-age=N` from a Cache-Control header; `private`/`public` and other directives are ignored.
    static func maxAge(_ header: String?) -> Int? {
        guard let header else { return nil }
        for directive in header.split(separator: ",") {
            let parts = directive.trimmingCharacters(in: .whitespaces).split(separator: "=")
            if parts.count == 2, parts[0].lowercased() == "max-age", let seconds = Int(parts[1]) { return seconds }
        }
        return nil
    }
}

/// Backoff for an HTTP provider after a rate limit or an outage: the attempts so far, the delays from `Backoff`.
struct ProviderBackoff: Sendable {
    let backoff: Backoff
    private(set) var attempt = 0

    init(initialSeconds: Double, capSeconds: Double) {
        backoff = Backoff(initial: initialSeconds, cap: capSeconds)
    }

    /// The next wait in seconds: doubling from the initial wait, capped, in the upper half of its window.
    mutating func next() -> Double {
        attempt += 1
        return backoff.delay(attempt: attempt, unit: Double.random(in: 0..<1))
    }

    mutating func reset() { attempt = 0 }
}

func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
