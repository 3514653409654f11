import Foundation
import HubProtocol

/// CORS for the origins in `server.allowedOrigins`: which headers let a page from one of them read the hub's
/// answers, and what an OPTIONS request (a preflight among them) is answered.
///
/// The allowlist is the same one `BrowserGuard` admits writes and `/stream` from, so an origin that may POST may
/// also read what the POST answered. With no origins configured nothing here adds a header: the hub's own
/// dashboard is same-origin and needs none. A preflight from any other origin is refused with `403
/// origin_not_allowed` and no CORS headers, which the browser reports as a failed preflight; an OPTIONS that is no
/// preflight (no `Origin`, or no `Access-Control-Request-Method`) gets `204` with `Allow`, from anyone.
package struct CrossOrigin {
    package let configuration: ServerConfiguration

    package init(configuration: ServerConfiguration) { self.configuration = configuration }

    /// Request headers a page may send (the rest are CORS-safelisted or not read by the hub).
    static let acceptedHeaders = ["authorization", "content-type"]
    /// How long a browser may reuse a preflight's answer: long enough to spare a round trip per poll, short enough
    /// that a removed origin stops working within minutes (Chromium caps it at 7,200 s anyway).
    static let maxAgeSeconds = 600
    /// Response headers a page may read besides the safelisted ones: the old-spelling warning with its link to the
    /// new names, and a 405's methods.
    static let exposedHeaders = "Deprecation, Link, Allow"

    /// `scheme://host[:port]` as a browser sends it in `Origin`: lowercased, without a trailing slash or the scheme's
    /// default port. Nil for anything else (a path, a wildcard, `null`).
    package static func canonical(_ origin: String) -> String? {
        var text = origin.lowercased()
        if text.hasSuffix("/") { text.removeLast() }
        let scheme: String
        if text.hasPrefix("http://") { scheme = "http" } else if text.hasPrefix("https://") { scheme = "https" } else { return nil }
        let authority = text.dropFirst(scheme.count + 3)
        guard !authority.isEmpty, !authority.contains(where: { "/?#@*\\ ".contains($0) }) else { return nil }
        let host = BrowserGuard.hostname(authority)
        guard !host.isEmpty else { return nil }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            if (scheme, port) == ("http", 80) || (scheme, port) == ("https", 443) { return "\(scheme)://\(authority[..<colon])" }
        }
        return "\(scheme)://\(authority)"
    }

    /// Whether `origin` is in `server.allowedOrigins` (compared as browsers write origins).
    package func isAllowed(_ origin: String?) -> Bool {
        guard let origin, !configuration.allowedOrigins.isEmpty, let wanted = Self.canonical(origin) else { return false }
        return configuration.allowedOrigins.contains { Self.canonical($0) == wanted }
    }

    /// The headers every answer to `request` carries: none without an allowlist; `Vary: Origin` with one (the
    /// answer depends on the origin asking), and the origin itself when it is allowed.
    package func responseHeaders(origin: String?) -> [(String, String)] {
        guard !configuration.allowedOrigins.isEmpty else { return [] }
        guard let origin, isAllowed(origin) else { return [("vary", "origin")] }
        return [("access-control-allow-origin", origin), ("vary", "origin"), ("access-control-expose-headers", Self.exposedHeaders)]
    }

    /// `response` with the headers `responseHeaders` gives that it does not carry already.
    package func decorate(_ response: HTTPResponse, origin: String?) -> HTTPResponse {
        let wanted = responseHeaders(origin: origin)
        guard !wanted.isEmpty else { return response }
        var response = response
        let present = Set(response.headers.map { $0.0.lowercased() })
        response.headers += wanted.filter { !present.contains($0.0) }
        return response
    }

    /// The answer to OPTIONS on a path served with `methods` (OPTIONS among them).
    package func options(_ request: HTTPRequest, methods: [HTTPRequest.Method]) -> HTTPResponse {
        let allow = methods.map(\.rawValue).joined(separator: ", ")
        let origin = request.headers["origin"]
        guard let origin, request.headers["access-control-request-method"] != nil else {
            return decorate(.noContent([("allow", allow)]), origin: origin)
        }
        guard isAllowed(origin) else {
            var refused = HTTPResponse.error(403, code: "origin_not_allowed",
                "cross-origin requests from \(quoted(origin, limit: 80)) are not allowed; add the origin to server.allowedOrigins")
            if !configuration.allowedOrigins.isEmpty { refused.headers.append(("vary", "origin")) }
            return refused
        }
        // The headers asked for that the hub reads; a browser refuses the request if any it needs is missing.
        let asked = (request.headers["access-control-request-headers"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let granted = asked.filter { Self.acceptedHeaders.contains($0) }
        var headers: [(String, String)] = [
            ("access-control-allow-origin", origin), ("vary", "origin"),
            ("access-control-allow-methods", methods.filter { $0 != .options }.map(\.rawValue).joined(separator: ", ")),
        ]
        if !granted.isEmpty { headers.append(("access-control-allow-headers", granted.joined(separator: ", "))) }
        // Chromium's Private Network Access: a page on a LAN or public address asks before it may reach a hub on
        // loopback; an allowed origin may.
        if request.headers["access-control-request-private-network"] == "true" {
            headers.append(("access-control-allow-private-network", "true"))
        }
        headers += [("access-control-max-age", String(Self.maxAgeSeconds)), ("allow", allow)]
        return .noContent(headers)
    }
}

extension CrossOrigin {
    /// The table's OPTIONS endpoint: registered on every path (`RouteTable(options:)`), answered before the token
    /// is asked for, since a browser never sends credentials with a preflight.
    static func answerOptions(_ hub: FanoutHub, _ request: HTTPRequest, _: Substring) -> FanoutHub.Outcome {
        .respond(CrossOrigin(configuration: hub.configuration).options(request, methods: hub.routes.table.methods(at: request.path)))
    }
}
