import Configuration
import Foundation
import Hub
import IBKR
import MarketData
import Testing
@testable import TickhubApp

@Suite struct ConfigurationFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let example = root.appendingPathComponent("config/tickhub.example.json")

    /// Dotted paths of every value in a JSON document that is not an object.
    static func valuePaths(_ value: Any, prefix: String = "") -> Set<String> {
        guard let object = value as? [String: Any] else { return [prefix] }
        var paths: Set<String> = []
        for (key, child) in object {
            paths.formUnion(valuePaths(child, prefix: prefix.isEmpty ? key : prefix + "." + key))
        }
        return paths
    }

    static func parse(_ json: String) throws -> ConfigurationFile {
        try ConfigurationFile.parse(Data(json.utf8), source: "hub.json")
    }

    @Test func theKeysAFileMayHoldAreTheKeysTheComponentsRead() {
        let known = ConfigurationKeys.file
        let expected: [(String, ConfigType)] = [
            ("server.listen", .string), ("server.threads", .int), ("server.tls.certificate", .string), ("server.allowedOrigins", .stringArray),
            ("ibkr.port", .int), ("ibkr.autoConnect", .bool), ("yahoo.baseURL", .string), ("yahoo.enabled", .bool),
            ("alphaVantage.dailyBudget", .int), ("providers.order", .stringArray), ("push.staleSeconds", .double),
            ("db", .string),
        ]
        for (path, type) in expected { #expect(known[path] == type, "\(path)") }
        for secret in ["server.token", "server.publishToken", "alphaVantage.apiKey"] {
            #expect(known[secret] == nil, "secrets are never read from a file: \(secret)")
            #expect(ConfigurationKeys.secrets.contains(secret), "\(secret)")
        }
        // Settings of the process rather than of a component are not the file's either.
        for processSetting in ["assets", "dataDirectory", "home"] { #expect(known[processSetting] == nil) }
    }

    @Test func theExampleFileListsEveryKeyTheHubReadsAndNoOther() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.example))
        let listed = Self.valuePaths(json)
        let known = Set(ConfigurationKeys.file.keys)
        #expect(known.subtracting(listed).sorted() == [], "keys the hub reads that config/tickhub.example.json does not list")
        #expect(listed.subtracting(known).sorted() == [], "keys in the example the hub does not read")
        // And it loads as it stands: it is what a user copies.
        _ = try ConfigurationFile.load(Self.example.path)
    }

    @Test func theExampleHoldsTheDefaults() throws {
        let file = try ConfigurationFile.load(Self.example.path)
        ConfigurationLayersTests.expectDefaults(
            try ConfigurationSources(commandLine: HubCommandLine(), environment: [:], file: file).settings())
    }

    @Test(arguments: [
        (#"{"server": {"listne": "127.0.0.1:9000"}}"#, #"unknown key "server.listne" (did you mean "server.listen"?)"#),
        (#"{"ibkr": {"clientID": 7}}"#, #"unknown key "ibkr.clientID" (did you mean "ibkr.clientId"?)"#),
        (#"{"listen": "127.0.0.1:9000"}"#, #"unknown key "listen" (did you mean "server.listen"?)"#),
        (#"{"server": {"zzz": 1}}"#, #"unknown key "server.zzz""#),
        (#"{"yahoo": {"baseUrl": "http://x"}}"#, #"unknown key "yahoo.baseUrl" (did you mean "yahoo.baseURL"?)"#),
        (#"{"server": {"tls": {"certficate": "/c.pem"}}}"#, #"unknown key "server.tls.certficate" (did you mean "server.tls.certificate"?)"#),
    ])
    func anUnknownKeyIsAnErrorNamingItsPathAndTheNearestKnownKey(json: String, message: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try Self.parse(json) }
        #expect(error?.description == "hub.json: " + message)
    }

    @Test func aSecretInAFileIsRefusedNamingItsVariable() throws {
        let error = #expect(throws: ConfigurationError.self) { try Self.parse(#"{"server": {"token": "s3cret"}}"#) }
        #expect(error?.description == "hub.json: server.token is a secret, never read from a file; set TICKHUB_TOKEN in the environment")
    }

    @Test(arguments: [
        (#"{"ibkr": {"port": "seven"}}"#, "ibkr.port: expected a whole number"),
        (#"{"ibkr": {"port": 7497.5}}"#, "ibkr.port: expected a whole number"),
        (#"{"ibkr": {"autoConnect": 1}}"#, "ibkr.autoConnect: expected true or false"),
        (#"{"server": {"slowClientSeconds": true}}"#, "server.slowClientSeconds: expected a number"),
        (#"{"server": {"listen": 8080}}"#, "server.listen: expected a string"),
        (#"{"server": {"allowedHosts": "hub.example.net"}}"#, "server.allowedHosts: expected an array of strings"),
        (#"{"providers": {"order": ["ibkr", 2]}}"#, "providers.order: expected an array of strings"),
        (#"{"server": {"tls": "on"}}"#, "server.tls: expected an object"),
    ])
    func aWrongTypeNamesTheKeyAndTheTypeExpected(json: String, message: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try Self.parse(json) }
        #expect(error?.description == "hub.json: " + message)
    }

    @Test func whatIsNotAJSONObjectIsRefusedAsAWhole() {
        let syntax = #expect(throws: ConfigurationError.self) { try Self.parse(#"{"ibkr": "#) }
        #expect(syntax?.description.hasPrefix("hub.json is not valid JSON") == true)
        let array = #expect(throws: ConfigurationError.self) { try Self.parse("[]") }
        #expect(array?.description == "hub.json must hold a JSON object")
    }

    @Test func nullIsAnAbsentValue() throws {
        let file = try Self.parse(#"{"server": {"listen": null}, "ibkr": null}"#)
        let settings = try ConfigurationSources(commandLine: HubCommandLine(), environment: [:], file: file).settings()
        #expect(settings.server == ServerConfiguration())
        #expect(settings.ibkr == IBKRConfiguration())
    }

    @Test func tlsNeedsBothFiles() throws {
        let file = try Self.parse(#"{"server": {"tls": {"certificate": "/c.pem"}}}"#)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationSources(commandLine: HubCommandLine(), environment: [:], file: file).settings()
        }
        #expect(error?.description == #"server.tls needs both "certificate" and "privateKey" (PEM file paths)"#)
    }

    @Test(arguments: [99999, 0, -1])
    func anIBKRPortOutsideTheRangeIsRefused(port: Int) {
        var ibkr = IBKRConfiguration()
        ibkr.port = port
        let error = #expect(throws: IBKRConfiguration.ConfigurationError.self) { try ibkr.validate() }
        #expect(error?.description == "ibkr.port is \(port); it must be 1–65535")
    }
}
