/// Which endpoint answers a method on a path, and, when none does, whether the path is known (405 with the
/// methods it takes) or not (404). The one place that knows the API's paths, so a 405's `Allow` can never
/// disagree with what is served.
public struct RouteTable<Endpoint: Sendable>: Sendable {
    /// A path that matches whole, or a prefix whose remainder the endpoint reads (a symbol, a broker's name).
    public enum Pattern: Hashable, Sendable {
        case exact(String)
        case prefix(String)
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

    private var exact: [String: [HTTPRequest.Method: Endpoint]] = [:]
    /// Longest first, so `/api/brokers/` wins over a shorter prefix.
    private var prefixes: [(prefix: String, endpoints: [HTTPRequest.Method: Endpoint])] = []

    public init() {}

    /// Adds an endpoint; GET brings HEAD with it (RFC 9110 9.3.2: the same answer without the body).
    public mutating func add(_ methods: Set<HTTPRequest.Method>, _ pattern: Pattern, _ endpoint: Endpoint) {
        var methods = methods
        if methods.contains(.get) { methods.insert(.head) }
        switch pattern {
        case let .exact(path):
            for method in methods { exact[path, default: [:]][method] = endpoint }
        case let .prefix(prefix):
            let index = prefixes.firstIndex { $0.prefix == prefix } ?? {
                prefixes.append((prefix, [:]))
                return prefixes.count - 1
            }()
            for method in methods { prefixes[index].endpoints[method] = endpoint }
            prefixes.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
        }
    }

    public func match(_ method: HTTPRequest.Method, _ path: String) -> Match {
        if let endpoints = exact[path] {
            return Self.pick(method, endpoints, remainder: path[path.endIndex...])
        }
        for (prefix, endpoints) in prefixes where path.hasPrefix(prefix) {
            return Self.pick(method, endpoints, remainder: path.dropFirst(prefix.count))
        }
        return .notFound
    }

    private static func pick(_ method: HTTPRequest.Method, _ endpoints: [HTTPRequest.Method: Endpoint], remainder: Substring) -> Match {
        if let endpoint = endpoints[method] { return .found(endpoint, remainder: remainder) }
        return .methodNotAllowed(allow: HTTPRequest.Method.allowOrder.filter { endpoints[$0] != nil })
    }
}

extension HTTPRequest.Method {
    /// The order methods are listed in an `Allow` header.
    public static let allowOrder: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
}
