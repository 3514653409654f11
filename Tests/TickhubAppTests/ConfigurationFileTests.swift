import Foundation
import IBKR
import Testing
@testable import TickhubApp
import Hub
import LwsHost

@Suite struct ConfigurationFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let example = root.appendingPathComponent("config/tickhub.example.json")

    /// Dotted paths of every key in a JSON document.
    static func keyPaths(_ value: Any, prefix: String = "") -> Set<String> {
        guard let object = value as? [String: Any] else { return [] }
        var paths: Set<String> = []
        for (key, child) in object {
            let path = prefix.isEmpty ? key : prefix + "." + key
            paths.insert(path)
            paths.formUnion(keyPaths(child, prefix: path))
        }
        return paths
    }

    @Test func theKeysTheHubReadsAreLearnedFromItsTypes() {
        let known = HubConfigurationFile.knownKeys
        for path in ["server", "server.listen", "server.tls", "server.tls.certificate", "ibkr.port", "ibkr.autoConnect",
                     "yahoo.baseURL", "alphaVantage.dailyBudget", "providers.order", "push.staleSeconds", "db"] {
            #expect(known.contains(path), "\(path)")
        }
        #expect(!known.contains("server.token"), "secrets are never read from a file")
    }

    @Test func theExampleFileListsEveryKeyTheHubReadsAndNoOther() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.example))
        let listed = Self.keyPaths(json)
        let known = HubConfigurationFile.knownKeys
        #expect(known.subtracting(listed).sorted() == [], "keys the hub reads that config/tickhub.example.json does not list")
        #expect(listed.subtracting(known).sorted() == [], "keys in the example the hub does not read")
        // And it loads as it stands: it is what a user copies.
        _ = try HubConfigurationFile.load(Self.example.path)
    }

    @Test func theExampleHoldsTheDefaults() throws {
        let file = try HubConfigurationFile.load(Self.example.path)
        var server = ServerConfiguration()
        try file.apply(to: &server)
        #expect(server == ServerConfiguration())
        #expect(file.databasePath == nil)
        #expect(file.ibkr == IBKRConfiguration())
    }

    @Test(arguments: [
        (#"{"server": {"listne": "127.0.0.1:9000"}}"#, #"unknown key "server.listne" (did you mean "server.listen"?)"#),
        (#"{"ibkr": {"clientID": 7}}"#, #"unknown key "ibkr.clientID" (did you mean "ibkr.clientId"?)"#),
        (#"{"listen": "127.0.0.1:9000"}"#, #"unknown key "listen" (did you mean "server.listen"?)"#),
        (#"{"server": {"zzz": 1}}"#, #"unknown key "server.zzz""#),
        (#"{"yahoo": {"baseUrl": "http://x"}}"#, #"unknown key "yahoo.baseUrl" (did you mean "yahoo.baseURL"?)"#),
    ])
    func anUnknownKeyIsAnErrorNamingItsPathAndTheNearestKnownKey(json: String, message: String) throws {
        let error = #expect(throws: ConfigurationError.self) {
            try HubConfigurationFile.parse(Data(json.utf8), source: "hub.json")
        }
        #expect(error?.description == "hub.json: " + message)
    }

    @Test func aWrongTypeNamesTheKeyAndTheTypeExpected() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try HubConfigurationFile.parse(Data(#"{"ibkr": {"port": "seven"}}"#.utf8), source: "hub.json")
        }
        #expect(error?.description == "hub.json: ibkr.port: expected a whole number")
        let syntax = #expect(throws: ConfigurationError.self) {
            try HubConfigurationFile.parse(Data(#"{"ibkr": "#.utf8), source: "hub.json")
        }
        #expect(syntax?.description.hasPrefix("hub.json is not valid JSON") == true)
    }

    @Test func tlsNeedsBothFiles() throws {
        let file = try HubConfigurationFile.parse(Data(#"{"server": {"tls": {"certificate": "/c.pem"}}}"#.utf8), source: "f")
        var server = ServerConfiguration()
        #expect(throws: ConfigurationError.self) { try file.apply(to: &server) }
    }

    @Test(arguments: [99999, 0, -1])
    func anIBKRPortOutsideTheRangeIsRefused(port: Int) {
        var ibkr = IBKRConfiguration()
        ibkr.port = port
        let error = #expect(throws: IBKRConfiguration.ConfigurationError.self) { try ibkr.validate() }
        #expect(error?.description == "ibkr.port is \(port); it must be 1–65535")
    }
}
