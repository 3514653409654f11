/// Whether a host names this machine: `localhost`, 127.0.0.0/8 or ::1 (bracketed or not). A gateway or broker
/// there may be trusted with what a network may not see: a self-signed certificate, a token over plain ws or http.
public enum LoopbackHost {
    public static func matches(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: ["[", "]"])
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
