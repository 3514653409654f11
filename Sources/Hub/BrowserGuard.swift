import HubProtocol
import Foundation

/// What keeps a web page the user happens to visit from driving a hub on their own machine.
///
/// A loopback hub without a token trusts whoever can reach it, and a browser can reach it: a page from any site
/// may send a "simple" POST (text/plain, no preflight), open a WebSocket (not bound by CORS), or resolve its own
/// name to 127.0.0.1 (DNS rebinding). Three checks close those doors, token or not:
/// - `Host` must name this hub (its listen address, `localhost` on loopback, or `server.allowedHosts`);
/// - a state-changing request or a `/stream` upgrade that carries an `Origin` must come from the hub's own origin
///   (the one its `Host` names) or one in `server.allowedOrigins`;
/// - a write to the positions API must say what it sends (`application/json`, or `text/csv` for an import), which a
///   cross-site page can only do after a preflight the hub grants only to `server.allowedOrigins` (`CrossOrigin`).
/// Programs (curl, bots) send no `Origin` and pass; a wrong `Host` is refused from anyone.
package struct BrowserGuard {
    package let configuration: ServerConfiguration

    package init(configuration: ServerConfiguration) { self.configuration = configuration }

    package struct Refusal: Error, Equatable {
        package let status: Int
        package let code: String
        package let message: String
    }

    /// The host part of a `Host` header or an origin's authority, lowercased, without port or brackets.
    static func hostname(_ authority: Substring) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close]).lowercased()
        }
        return String(authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").lowercased()
    }

    func hostAllowed(_ host: String?) -> Bool {
        // HTTP/1.0 has no Host; a browser always sends one, so its absence is no rebinding attempt.
        guard let host else { return true }
        let name = Self.hostname(Substring(host))
        if configuration.allowedHosts.contains(where: { $0.lowercased() == name }) { return true }
        if name == configuration.host { return true }
        if configuration.isLoopback { return name == "localhost" || name == "127.0.0.1" }
        // Bound to every interface with no names configured: the hub cannot know its own names; the token guards it.
        return configuration.host == "0.0.0.0" && configuration.allowedHosts.isEmpty
    }

    func originAllowed(_ origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        // The same allowlist, compared the same way, as the CORS headers that let such a page read the answer.
        if CrossOrigin(configuration: configuration).isAllowed(origin) { return true }
        guard let host, !host.isEmpty else { return false }
        let lowered = origin.lowercased(), own = host.lowercased()
        return lowered == "http://" + own || lowered == "https://" + own
    }

    /// Nil when the request may go on; otherwise what to answer.
    package func check(_ request: HTTPRequest) -> Refusal? {
        let host = request.headers["host"]
        guard hostAllowed(host) else {
            return Refusal(status: 403, code: "host_not_allowed",
                           message: "this hub does not answer to \"\(quoted(host ?? "", limit: 80))\"; add it to server.allowedHosts")
        }
        let writes = request.method == .post || request.method == .put || request.method == .patch || request.method == .delete
        if writes || request.path == "/stream" {
            guard originAllowed(request.headers["origin"], host: host) else {
                return Refusal(status: 403, code: "origin_not_allowed",
                               message: "requests from \(quoted(request.headers["origin"] ?? "", limit: 80)) are not allowed; add the origin to server.allowedOrigins")
            }
        }
        if writes, request.path.hasPrefix("/api/positions"), !request.body.isEmpty || request.headers["content-type"] != nil {
            let wanted = request.path == "/api/positions/import" ? "text/csv" : "application/json"
            let given = (request.headers["content-type"] ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            guard given == wanted else {
                return Refusal(status: 415, code: "unsupported_media_type",
                               message: "send Content-Type: \(wanted) (got \"\(quoted(given, limit: 60))\")")
            }
        }
        return nil
    }
}
