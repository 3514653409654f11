import HubProtocol

/// What happens to a request line between the socket and the hub's routes, written plainly for the fuzz target
/// to hold the real parts against.
enum RequestLine {
    struct Target {
        var path: String
        var query: [String: String]
    }

    /// The mender's promise: before the first newline, each raw NUL becomes 0x01 and the last `0` of each `%00`
    /// becomes `1`.
    static func expectedMend(_ line: [UInt8]) -> [UInt8] {
        var bytes = line
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        for index in 0..<end where bytes[index] == 0 { bytes[index] = 1 }
        var at = 0
        while at + 2 < end {
            if bytes[at] == UInt8(ascii: "%"), bytes[at + 1] == UInt8(ascii: "0"), bytes[at + 2] == UInt8(ascii: "0") {
                bytes[at + 2] = UInt8(ascii: "1")
                at += 3
            } else {
                at += 1
            }
        }
        return bytes
    }

    /// The target as lws hands it on: the first line's target, percent-decoded, the query split at `&` into
    /// arguments (RequestTarget.arguments reads them as the hub does).
    static func decode(_ line: [UInt8]) -> Target {
        let first = line.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        let target = first.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).dropFirst().first ?? []
        let question = target.firstIndex(of: UInt8(ascii: "?"))
        let path = decoded(target[..<(question ?? target.endIndex)])
        let arguments = question.map { target[target.index(after: $0)...] }.map {
            $0.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map { decoded($0) }
        } ?? []
        return Target(path: path.isEmpty ? "/" : path, query: RequestTarget.arguments(arguments))
    }

    static func decoded(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var at = bytes.startIndex
        while at < bytes.endIndex {
            if bytes[at] == UInt8(ascii: "%"), at + 2 < bytes.endIndex, let high = hex(bytes[at + 1]), let low = hex(bytes[at + 2]) {
                out.append(high << 4 | low)
                at += 3
            } else {
                out.append(bytes[at])
                at += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
