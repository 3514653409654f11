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
    public var contentType: String { didSet { rendered = nil } }
    public var body: [UInt8] { didSet { rendered = nil } }
    public var headers: [(String, String)] { didSet { rendered = nil } }
    /// `wire(omittingBody: false)`, kept by `prepared()` for a response served many times as it is.
    private var rendered: [UInt8]?

    public init(status: Int, contentType: String = "application/json", body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// Everything after the status line, as HTTP/1.1 puts it on the wire: the headers, the blank line and the
    /// body. The host writes the status line (its version follows the request's) and these bytes in one write.
    public func wire(omittingBody: Bool) -> [UInt8] {
        if !omittingBody, let rendered { return rendered }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + headers.count * 32 + (omittingBody ? 0 : body.count))
        func line(_ name: String, _ value: String) {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        // RFC 9110 8.6: a 204 has no content, and no Content-Length either (an OPTIONS answer, a preflight).
        if status != 204 {
            line("content-type", contentType)
            line("content-length", String(body.count))
        }
        for (name, value) in headers { line(name, value) }
        bytes.append(contentsOf: "\r\n".utf8)
        if !omittingBody { bytes.append(contentsOf: body) }
        return bytes
    }

    /// The same response with its wire form rendered now, so that serving it again costs no encoding.
    public func prepared() -> HTTPResponse {
        var response = self
        response.rendered = wire(omittingBody: false)
        return response
    }

    public static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, body: body, headers: [("cache-control", "no-store")])
    }

    /// 204: the answer is all in the headers.
    public static func noContent(_ headers: [(String, String)]) -> HTTPResponse {
        HTTPResponse(status: 204, body: [], headers: headers)
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
