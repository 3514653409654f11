import HubProtocol

/// Token checks for servers listening beyond loopback.
package enum Auth {
    /// The token a request presents: `Authorization: Bearer <token>` or `?token=`.
    package static func presentedToken(_ request: HTTPRequest) -> String? {
        if let header = request.headers["authorization"], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        return request.query["token"]
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    package static func matches(_ presented: String?, _ required: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8), b = Array(required.utf8)
        var difference = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { difference |= Int(a[i] ^ b[i]) }
        return difference == 0
    }
}
