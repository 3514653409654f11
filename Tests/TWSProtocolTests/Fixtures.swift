import Foundation

/// Where the recorded TWS wire data lives: `Tests/Fixtures/tws` (origins in its README.md).
enum Fixtures {
    /// `<root>/Tests/TWSProtocolTests/Fixtures.swift` → `<root>`.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/TWSProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package root

    static let directory: URL = packageRoot
        .appendingPathComponent("Tests/Fixtures/tws", isDirectory: true)
        .standardizedFileURL

    static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try data(name), as: UTF8.self)
    }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: try data(name))
    }
}
