import HubProtocol
import Foundation
import Synchronization

/// The dashboard's files and the OpenAPI document, read from disk once and kept: the host's, so that the hub does
/// no I/O of its own.
package final class StaticFiles: Sendable {
    package static let shared = StaticFiles()
    private let cache = Mutex<[String: HTTPResponse]>([:])

    package static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "yaml": "application/yaml", "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
        "ico": "image/x-icon",
    ]

    package func response(for path: String, in directory: String?) -> HTTPResponse {
        guard let directory, let name = RequestTarget.dashboardFile(path) else {
            return .error(404, code: "not_found", "no such file: \(quoted(path))")
        }
        let key = directory + "/" + name
        if let cached = cache.withLock({ $0[key] }) { return cached }
        guard let data = FileManager.default.contents(atPath: key) else {
            return .error(404, code: "not_found", "no such file: \(quoted(path))")
        }
        let ext = String(name.split(separator: ".").last ?? "")
        let response = HTTPResponse(
            status: 200, contentType: Self.contentTypes[ext] ?? "application/octet-stream", body: Array(data),
            headers: [("cache-control", "no-cache")])
        cache.withLock { $0[key] = response }
        return response
    }
}
