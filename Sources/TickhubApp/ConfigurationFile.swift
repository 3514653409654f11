import Configuration
import Foundation

/// The `--config` file: `{"server": {...}, "ibkr": {...}, ...}`; config/tickhub.example.json lists every key with
/// its default. It is checked whole before anything reads it: a key the hub does not read is an error, not a
/// silent no-op (a misspelt `listne` must not leave a hub listening where its owner did not mean it to), and so is
/// a value of the wrong type, even under a key a flag overrides.
///
/// As a provider it is the reader's last source before the defaults, read by swift-configuration's own JSON
/// snapshot from the bytes that were checked.
struct ConfigurationFile: ConfigProvider {
    /// The path it was read from, for messages.
    let source: String
    private let contents: JSONSnapshot

    static func load(_ path: String) throws -> ConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the configuration file \(path)")
        }
        return try parse(data, source: path)
    }

    /// Checks a file's bytes; `source` names it in errors.
    static func parse(_ data: Data, source: String) throws -> ConfigurationFile {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationError("\(source) is not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
        }
        guard let object = json as? [String: Any] else { throw ConfigurationError("\(source) must hold a JSON object") }
        if let problem = ConfigurationKeys.problems(in: object).first { throw ConfigurationError("\(source): \(problem)") }
        do {
            return ConfigurationFile(
                source: source,
                contents: try JSONSnapshot(data: data.bytes, providerName: "configuration file", parsingOptions: .default))
        } catch {
            throw ConfigurationError("\(source): \(error)")
        }
    }

    var providerName: String { contents.providerName }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try contents.value(forKey: key, type: type)
    }

    func fetchValue(forKey key: AbsoluteConfigKey, type: ConfigType) async throws -> LookupResult {
        try value(forKey: key, type: type)
    }

    // Read once at startup: the file is never watched for changes.
    nonisolated(nonsending) func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey, type: ConfigType,
        updatesHandler: nonisolated(nonsending) (
            _ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>
        ) async throws -> Return
    ) async throws -> Return {
        try await watchValueFromValue(forKey: key, type: type, updatesHandler: updatesHandler)
    }

    func snapshot() -> any ConfigSnapshot { contents }

    nonisolated(nonsending) func watchSnapshot<Return: ~Copyable>(
        updatesHandler: nonisolated(nonsending) (_ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>) async throws -> Return
    ) async throws -> Return {
        try await watchSnapshotFromSnapshot(updatesHandler: updatesHandler)
    }
}
