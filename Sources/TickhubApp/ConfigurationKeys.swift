import Foundation

/// The keys a configuration type reads, learned from the type itself by decoding it from nothing: every key it
/// asks for is recorded, and sections are entered. The file check and the test that the example file lists
/// every key both use this, so neither keeps a list of its own.
public enum ConfigurationKeys {
    /// Dotted paths of every key `T` reads: `server`, `server.listen`, `ibkr.port`, ...
    public static func paths<T: Decodable>(of type: T.Type) -> Set<String> {
        let recorder = KeyRecorder()
        _ = try? T(from: RecordingDecoder(recorder: recorder, prefix: []))
        return recorder.paths
    }

    public struct UnknownKey: Equatable, Sendable {
        public let path: String
        /// The known key it most resembles, if any is close.
        public let suggestion: String?
    }

    /// Keys in `json` (a parsed JSON object) that `known` does not have, in document order where the parser
    /// keeps it, sorted otherwise.
    public static func unknown(in json: Any, known: Set<String>) -> [UnknownKey] {
        var found: [UnknownKey] = []
        walk(json, prefix: "", known: known, into: &found)
        return found
    }

    private static func walk(_ value: Any, prefix: String, known: Set<String>, into found: inout [UnknownKey]) {
        guard let object = value as? [String: Any] else { return }
        for key in object.keys.sorted() {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if known.contains(path) {
                // Only sections have keys below them; a leaf holding an object is the decoder's type error.
                if known.contains(where: { $0.hasPrefix(path + ".") }) {
                    walk(object[key]!, prefix: path, known: known, into: &found)
                }
            } else {
                found.append(UnknownKey(path: path, suggestion: nearest(to: path, in: known)))
            }
        }
    }

    /// The sibling key closest in spelling, else the same name in another section (`listen` → `server.listen`).
    static func nearest(to path: String, in known: Set<String>) -> String? {
        let (parent, name) = split(path)
        var best: (path: String, distance: Int)?
        for candidate in known.sorted() {
            let (candidateParent, candidateName) = split(candidate)
            guard candidateParent == parent else { continue }
            let d = distance(name.lowercased(), candidateName.lowercased())
            if d <= max(2, name.count / 3), d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        if let best { return best.path }
        return known.sorted().first { split($0).name.lowercased() == name.lowercased() }
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

private final class KeyRecorder {
    var paths: Set<String> = []
}

/// A decoder over no data that answers "absent" to every optional key and records the question.
private struct RecordingDecoder: Decoder {
    let recorder: KeyRecorder
    let prefix: [String]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordingContainer<Key>(recorder: recorder, prefix: prefix))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw NotASection() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw NotASection() }
}

private struct NotASection: Error {}

private struct RecordingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: KeyRecorder
    let prefix: [String]
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    private func record(_ key: Key) -> [String] {
        let path = prefix + [key.stringValue]
        recorder.paths.insert(path.joined(separator: "."))
        return path
    }

    func contains(_ key: Key) -> Bool {
        _ = record(key)
        return false
    }
    func decodeNil(forKey key: Key) throws -> Bool { true }

    /// Optional sections are entered so their own keys are recorded too; leaves throw and come back nil.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let path = record(key)
        _ = try? T(from: RecordingDecoder(recorder: recorder, prefix: path))
        return nil
    }

    // A required key cannot be answered from nothing; configuration types read every key as optional.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        _ = record(key)
        throw NotASection()
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(RecordingContainer<NestedKey>(recorder: recorder, prefix: record(key)))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw NotASection() }
    func superDecoder() throws -> any Decoder { throw NotASection() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw NotASection() }
}
