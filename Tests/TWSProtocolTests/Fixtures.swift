import Foundation

/// Where the recorded TWS wire data lives: `<package root>/../shared/fixtures/tws`.
enum Fixtures {
    /// `Tests/TWSProtocolTests/Fixtures.swift` → package root → `../shared/fixtures/tws`.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TWSProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .deletingLastPathComponent()  // the package root's parent
        .appendingPathComponent("shared/fixtures/tws", isDirectory: true)

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
