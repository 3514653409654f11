import ArgumentParser
import Logging

/// `--log-level` takes only levels that exist; ArgumentParser lists them when given anything else.
extension Logger.Level: @retroactive ExpressibleByArgument {}

public enum ProcessLogging {
    public struct InvalidLevel: Error, CustomStringConvertible {
        public let variable: String
        public let value: String
        public var description: String {
            "\(variable)=\"\(value)\" is not a log level; use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }

    /// The flag wins over `LOG_LEVEL`; with neither, `notice`.
    public static func level(flag: Logger.Level?, environment: [String: String]) throws -> Logger.Level {
        if let flag { return flag }
        guard let text = environment["LOG_LEVEL"], !text.isEmpty else { return .notice }
        guard let level = Logger.Level(rawValue: text.lowercased()) else { throw InvalidLevel(variable: "LOG_LEVEL", value: text) }
        return level
    }

    /// Logs go to standard error, so standard output stays for the lines scripts parse.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
