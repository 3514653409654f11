import Foundation
import IBKR
import Testing

/// Configuration: defaults, a partial JSON section, and the IBKR_* environment over it.
@Suite("IBKRConfiguration")
struct IBKRConfigurationTests {
    @Test func defaultsSuitALocalPaperTWS() {
        let c = IBKRConfiguration()
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 7497)
        #expect(c.clientId == 1)
        #expect(c.accountId == "")
        #expect(c.marketDataType == 1)
        #expect(c.lineBudget == 100)
        #expect(c.pacingPerSecond <= 45)
        #expect(c.autoConnect)
        #expect(c.accountSummaryTags.contains("NetLiquidation"))
    }

    @Test func jsonWithSomeKeysKeepsDefaultsForTheRest() throws {
        let json = #"{"port": 4002, "clientId": 17, "lineBudget": 50, "reconnectCapSeconds": 10}"#
        let c = try JSONDecoder().decode(IBKRConfiguration.self, from: Data(json.utf8))
        var expected = IBKRConfiguration()
        expected.port = 4002
        expected.clientId = 17
        expected.lineBudget = 50
        expected.reconnectCapSeconds = 10
        #expect(c == expected)
    }

    @Test func emptyJsonIsTheDefaults() throws {
        let c = try JSONDecoder().decode(IBKRConfiguration.self, from: Data("{}".utf8))
        #expect(c == IBKRConfiguration())
    }

    @Test func everyKeyRoundTrips() throws {
        var c = IBKRConfiguration()
        c.host = "10.0.0.5"
        c.port = 4001
        c.clientId = 9
        c.accountId = "U123"
        c.marketDataType = 3
        c.lineBudget = 7
        c.connectTimeoutSeconds = 2
        c.pacingPerSecond = 20
        c.reconnectInitialSeconds = 0.25
        c.reconnectCapSeconds = 4
        c.resumeCheckSeconds = 1.5
        c.accountSummaryTags = ["NetLiquidation"]
        c.autoConnect = false
        let decoded = try JSONDecoder().decode(IBKRConfiguration.self, from: JSONEncoder().encode(c))
        #expect(decoded == c)
    }

    @Test func aWronglyTypedKeyIsAnError() {
        let json = #"{"port": "seven"}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(IBKRConfiguration.self, from: Data(json.utf8))
        }
    }

    @Test func environmentOverrides() throws {
        var base = IBKRConfiguration()
        base.lineBudget = 42
        let c = try base.applyingEnvironment([
            "IBKR_HOST": "gateway.local", "IBKR_PORT": "4002", "IBKR_CLIENT_ID": "23", "IBKR_ACCOUNT_ID": "DU999",
            "UNRELATED": "x",
        ])
        #expect(c.host == "gateway.local")
        #expect(c.port == 4002)
        #expect(c.clientId == 23)
        #expect(c.accountId == "DU999")
        #expect(c.lineBudget == 42)
    }

    @Test func anEmptyEnvironmentChangesNothing() throws {
        var base = IBKRConfiguration()
        base.port = 4001
        #expect(try base.applyingEnvironment([:]) == base)
        // An empty host is ignored rather than blanking the host.
        #expect(try base.applyingEnvironment(["IBKR_HOST": ""]).host == "127.0.0.1")
    }

    @Test(arguments: ["abc", "0", "65536", "-1", "", "74 97"])
    func invalidPortGivesAClearError(port: String) {
        #expect(throws: IBKRConfiguration.ConfigurationError.invalid(variable: "IBKR_PORT", value: port)) {
            try IBKRConfiguration().applyingEnvironment(["IBKR_PORT": port])
        }
        let error = IBKRConfiguration.ConfigurationError.invalid(variable: "IBKR_PORT", value: port)
        #expect(error.description == "IBKR_PORT=\"\(port)\" is not valid")
    }

    @Test func invalidClientIdGivesAClearError() {
        #expect(throws: IBKRConfiguration.ConfigurationError.invalid(variable: "IBKR_CLIENT_ID", value: "one")) {
            try IBKRConfiguration().applyingEnvironment(["IBKR_CLIENT_ID": "one"])
        }
    }
}
