/// Which endpoint answers a method on a path, and, when none does, whether the path is known (405 with the
/// methods it takes) or not (404). The one place that knows the API's paths, so a 405's `Allow`, an OPTIONS
/// answer and a CORS preflight's methods can never disagree with what is served.
public struct RouteTable<Endpoint: Sendable>: Sendable {
    /// A path that matches whole, a prefix whose remainder the endpoint reads (a symbol, a broker's name), or one
    /// path segment between two fixed parts (`/api/brokers/` + name + `/connect`).
    public enum Pattern: Hashable, Sendable {
        case exact(String)
        case prefix(String)
        /// Matches `before` + one non-empty segment (no `/`) + `after`; the remainder is everything after `before`,
        /// the segment and `after` both, so it stays the path's tail.
        case segment(before: String, after: String)
    }

    /// Every method, for endpoints that route methods themselves.
    public static var anyMethod: Set<HTTPRequest.Method> { [.get, .post, .put, .patch, .delete, .options, .head] }

    public enum Match {
        /// `remainder` is what follows a prefix pattern (empty for an exact one).
        case found(Endpoint, remainder: Substring)
        /// The path is served, not with this method: `allow` as RFC 9110 15.5.6 asks, in a fixed order.
        case methodNotAllowed(allow: [HTTPRequest.Method])
        case notFound
    }

    private typealias Endpoints = [HTTPRequest.Method: Endpoint]

    private var exact: [String: Endpoints] = [:]
    private var segments: [(before: String, after: String, endpoints: Endpoints)] = []
    /// Longest first, so `/api/brokers/` wins over a shorter prefix.
    private var prefixes: [(prefix: String, endpoints: Endpoints)] = []
    /// Answers OPTIONS on every path the table knows, unless a pattern registers OPTIONS itself.
    private let options: Endpoint?

    /// With `options`, every pattern added also answers OPTIONS with it (RFC 9110 9.3.7, and CORS preflights).
    public init(options: Endpoint? = nil) { self.options = options }

    /// Adds an endpoint; GET brings HEAD with it (RFC 9110 9.3.2: the same answer without the body).
    public mutating func add(_ methods: Set<HTTPRequest.Method>, _ pattern: Pattern, _ endpoint: Endpoint) {
        let options = options
        func merge(into endpoints: inout Endpoints) {
            for method in methods { endpoints[method] = endpoint }
            if methods.contains(.get) { endpoints[.head] = endpoint }
            if let options, endpoints[.options] == nil { endpoints[.options] = options }
        }
        switch pattern {
        case let .exact(path):
            merge(into: &exact[path, default: [:]])
        case let .segment(before, after):
            let index = segments.firstIndex { $0.before == before && $0.after == after } ?? {
                segments.append((before, after, [:]))
                return segments.count - 1
            }()
            merge(into: &segments[index].endpoints)
        case let .prefix(prefix):
            let index = prefixes.firstIndex { $0.prefix == prefix } ?? {
                prefixes.append((prefix, [:]))
                return prefixes.count - 1
            }()
            merge(into: &prefixes[index].endpoints)
            prefixes.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
        }
    }

    public func match(_ method: HTTPRequest.Method, _ path: String) -> Match {
        guard let (endpoints, remainder) = lookup(path) else { return .notFound }
        if let endpoint = endpoints[method] { return .found(endpoint, remainder: remainder) }
        return .methodNotAllowed(allow: Self.ordered(endpoints))
    }

    /// The methods the path is served with, in `Allow` order; empty for a path the table does not know.
    public func methods(at path: String) -> [HTTPRequest.Method] {
        lookup(path).map { Self.ordered($0.endpoints) } ?? []
    }

    /// Exact paths first, then segment patterns, then prefixes, longest first.
    private func lookup(_ path: String) -> (endpoints: Endpoints, remainder: Substring)? {
        if let endpoints = exact[path] { return (endpoints, path[path.endIndex...]) }
        for (before, after, endpoints) in segments where path.hasPrefix(before) && path.hasSuffix(after) {
            let tail = path.dropFirst(before.count)
            guard tail.count > after.count, !tail.dropLast(after.count).contains("/") else { continue }
            return (endpoints, tail)
        }
        for (prefix, endpoints) in prefixes where path.hasPrefix(prefix) {
            return (endpoints, path.dropFirst(prefix.count))
        }
        return nil
    }

    private static func ordered(_ endpoints: Endpoints) -> [HTTPRequest.Method] {
        HTTPRequest.Method.allowOrder.filter { endpoints[$0] != nil }
    }
}

extension HTTPRequest.Method {
    /// The order methods are listed in an `Allow` header.
    public static let allowOrder: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
}
