/// Checks on a request's decoded path and query that hold for every endpoint.
public enum RequestTarget {
    /// Why no endpoint can serve this path and query, or nil. A control character (a decoded `%00`–`%1F` or
    /// `%7F`) is in no symbol, file or broker name, and would otherwise travel on into logs and lookups.
    public static func problem(path: String, query: [String: String]) -> String? {
        if hasControlCharacter(path) { return "the URL's path holds a control character (%00–%1F or %7F)" }
        for (name, value) in query where hasControlCharacter(name) || hasControlCharacter(value) {
            return "the query argument \(quoted(name, limit: 40)) holds a control character (%00–%1F or %7F)"
        }
        return nil
    }

    /// Query arguments as lws splits them (one per `&`, already URL-decoded): `name=value`, or a bare `name`
    /// with an empty value; the first 64 count, a later repeat of a name wins.
    public static func arguments(_ parts: [String]) -> [String: String] {
        var arguments: [String: String] = [:]
        for argument in parts.prefix(64) {
            if let equals = argument.firstIndex(of: "=") {
                arguments[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else {
                arguments[argument] = ""
            }
        }
        return arguments
    }

    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControlCharacter)
    }

    /// The dashboard file a path names, relative to the dashboard's folder: plain names below it only (no "..",
    /// no hidden files, no control characters), or nil.
    public static func dashboardFile(_ path: String) -> String? {
        let name = path == "/" || path.isEmpty ? "index.html" : String(path.drop(while: { $0 == "/" }))
        guard !name.isEmpty, !name.contains(".."), !name.hasPrefix("."), !name.contains("/."), name.utf8.count < 200,
              !hasControlCharacter(name), !name.contains("\\")
        else { return nil }
        return name
    }
}
