import Configuration
import Foundation

/// The keys the hub reads, learned by reading: `HubSettings` is built once over a provider that holds nothing,
/// and every key its components ask for is recorded with the type it is read as. The check of a file and the test
/// that the example file lists every key both use this, so neither keeps a list of its own.
enum ConfigurationKeys {
    private static let learned: [String: SettingReads.Read] = {
        let reads = SettingReads()
        // Over nothing every component keeps its defaults, which are valid: nothing throws, and were something
        // to, the keys read before it would still be recorded.
        _ = try? HubSettings(config: ConfigReader(provider: InMemoryProvider(values: [:]), accessReporter: reads))
        return reads.reads
    }()

    /// Every key a configuration file may hold, with the type it is read as: `server.listen`, `ibkr.port`, ...
    static let file: [String: ConfigType] = learned.filter { !$0.value.isSecret }.mapValues(\.type)

    /// Keys read as secrets: they come from the environment only, and a file that holds one is refused.
    static let secrets: Set<String> = Set(learned.filter(\.value.isSecret).keys)

    /// The file's keys and the sections above them (`server`, `server.tls`), which hold objects.
    private static let sections: Set<String> = Set(file.keys.flatMap { key in
        let parts = key.split(separator: ".")
        return (1..<parts.count).map { parts.prefix($0).joined(separator: ".") }
    })

    /// What is wrong with a parsed file, one message a problem, in key order: a key the hub does not read (with the
    /// nearest one it does), a secret, or a value of the wrong type. A null is an absent value, as in JSON itself.
    static func problems(in object: [String: Any], under prefix: String = "") -> [String] {
        var found: [String] = []
        for key in object.keys.sorted() {
            let path = prefix.isEmpty ? key : prefix + "." + key
            let value = object[key]!
            if value is NSNull { continue }
            if let type = file[path] {
                if !holds(value, type) { found.append("\(path): expected \(type.expectation)") }
            } else if sections.contains(path) {
                if let inner = value as? [String: Any] {
                    found += problems(in: inner, under: path)
                } else {
                    found.append("\(path): expected an object")
                }
            } else if secrets.contains(path) {
                let variable = EnvironmentSettings.variable(setting: path).map { "; set \($0.name) in the environment" }
                found.append("\(path) is a secret, never read from a file\(variable ?? "")")
            } else {
                let hint = nearest(to: path).map { " (did you mean \"\($0)\"?)" } ?? ""
                found.append("unknown key \"\(path)\"\(hint)")
            }
        }
        return found
    }

    /// JSON as JSONSerialization gives it: numbers and booleans are both NSNumber, told apart by the type code.
    private static func holds(_ value: Any, _ type: ConfigType) -> Bool {
        let number = value as? NSNumber
        let isBoolean = number.map { String(cString: $0.objCType) == "c" } ?? false
        switch type {
        case .string: return value is String
        case .bool: return isBoolean
        case .int: return number.map { !isBoolean && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case .double: return number != nil && !isBoolean
        case .stringArray: return (value as? [Any])?.allSatisfy { $0 is String } ?? false
        default: return false
        }
    }

    /// The sibling key closest in spelling, else the same name in another section (`listen` → `server.listen`).
    static func nearest(to path: String) -> String? {
        let known = Set(file.keys).union(sections).sorted()
        let (parent, name) = split(path)
        var best: (path: String, distance: Int)?
        for candidate in known {
            let (candidateParent, candidateName) = split(candidate)
            guard candidateParent == parent else { continue }
            let d = distance(name.lowercased(), candidateName.lowercased())
            if d <= max(2, name.count / 3), d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        if let best { return best.path }
        return known.first { split($0).name.lowercased() == name.lowercased() }
    }

    /// `server.tls.certificate` → (`server.tls`, `certificate`).
    private static func split(_ path: String) -> (parent: String, name: String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension ConfigType {
    /// What a value of this type looks like to someone writing one: `ibkr.port: expected a whole number`.
    var expectation: String {
        switch self {
        case .string: "a string"
        case .int: "a whole number"
        case .double: "a number"
        case .bool: "true or false"
        case .stringArray: "an array of strings"
        default: rawValue
        }
    }
}
