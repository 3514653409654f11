import Foundation

/// The hand-written gateway answers in `Tests/Fixtures/clientportal` (their origin: its README).
enum Recordings {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/ClientPortalTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/clientportal", isDirectory: true)
        .standardizedFileURL

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    /// The lines of a `.jsonl` recording, each one WebSocket text frame.
    static func lines(_ name: String) throws -> [Data] {
        String(decoding: try data(name), as: UTF8.self).split(separator: "\n").map { Data($0.utf8) }
    }
}
