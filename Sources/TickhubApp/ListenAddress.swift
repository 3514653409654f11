import Foundation

/// `--listen HOST:PORT` and `server.listen`, checked and resolved to the IPv4 address the server will bind, so
/// the loopback rule is decided on what is really bound, not on how it was spelt.
public enum ListenAddress {
    /// Splits `HOST:PORT` (`[v6]:PORT` too, so it can be refused by name). Port 0 picks a free one.
    public static func parse(_ text: String, source: String = "--listen") throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw ConfigurationError("\(source) wants HOST:PORT, e.g. 127.0.0.1:8080, not \"\(text)\"")
        }
        guard (0...65535).contains(port) else {
            throw ConfigurationError("\(source): port \(port) is outside 1–65535 (0 picks a free port)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// The IPv4 address for `host`: a literal as it is, `localhost` and other names through the resolver.
    /// IPv6 is refused by name: the server listens on IPv4 only, and binding `::1` would not mean loopback.
    public static func resolve(_ host: String) throws -> String {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return host }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            throw ConfigurationError("cannot listen on \(host): the hub listens on IPv4 only; use 127.0.0.1 (loopback) or an IPv4 address of this machine")
        }
        if host == "localhost" { return "127.0.0.1" }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        defer { if result != nil { freeaddrinfo(result) } }
        guard status == 0, let info = result, let address = info.pointee.ai_addr else {
            throw ConfigurationError("cannot listen on \(host): no IPv4 address for that name (\(String(cString: gai_strerror(status))))")
        }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
            var a = inet.pointee.sin_addr
            _ = inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
