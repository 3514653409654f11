import Foundation

/// The listen address (`--listen`, `server.listen`, split by `ServerConfiguration`) resolved to the IPv4 address the
/// server will bind, so the loopback rule is decided on what is really bound, not on how it was spelt.
public enum ListenAddress {
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
