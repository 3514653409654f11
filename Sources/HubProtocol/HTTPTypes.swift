/// An HTTP request as the server's routes see it.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", put = "PUT", delete = "DELETE", patch = "PATCH", options = "OPTIONS", head = "HEAD"
    }

    public var method: Method
    /// URL-decoded path without the query string.
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: Method, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: Int, contentType: String = "application/json", body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, body: body, headers: [("cache-control", "no-store")])
    }

    public static func error(_ status: Int, code: String, _ message: String) -> HTTPResponse {
        .json(status, JSONWriter.error(code: code, message: message))
    }

    /// 405 with the methods the resource has in `Allow`, as RFC 9110 15.5.6 asks.
    public static func methodNotAllowed(_ message: String, allow: String) -> HTTPResponse {
        var response = error(405, code: "method_not_allowed", message)
        response.headers.append(("allow", allow))
        return response
    }
}
