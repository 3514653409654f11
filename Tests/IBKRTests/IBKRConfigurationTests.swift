import Configuration
import IBKR
import Testing

/// Configuration: defaults, and a section read over them. Where the section's values come from (file, environment,
/// flags) is the app's business and tested there.
@Suite("IBKRConfiguration")
struct IBKRConfigurationTests {
    static func read(_ values: [AbsoluteConfigKey: ConfigContent]) throws -> IBKRConfiguration {
        try IBKRConfiguration(config: ConfigReader(provider: InMemoryProvider(values: values.mapValues { ConfigValue($0, isSecret: false) })))
    }

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

    @Test func anEmptySectionIsTheDefaults() throws {
        #expect(try Self.read([:]) == IBKRConfiguration())
    }

    @Test func aSectionWithSomeKeysKeepsDefaultsForTheRest() throws {
        let c = try Self.read(["port": .int(4002), "clientId": .int(17), "lineBudget": .int(50), "reconnectCapSeconds": .double(10)])
        var expected = IBKRConfiguration()
        expected.port = 4002
        expected.clientId = 17
        expected.lineBudget = 50
        expected.reconnectCapSeconds = 10
        #expect(c == expected)
    }

    @Test func everyKeyIsRead() throws {
        let c = try Self.read([
            "host": .string("10.0.0.5"), "port": .int(4001), "clientId": .int(9), "accountId": .string("U123"),
            "marketDataType": .int(3), "lineBudget": .int(7), "connectTimeoutSeconds": .double(2),
            "pacingPerSecond": .double(20), "reconnectInitialSeconds": .double(0.5), "reconnectCapSeconds": .double(4),
            "resumeCheckSeconds": .double(1.5), "heartbeatIdleSeconds": .double(20), "heartbeatTimeoutSeconds": .double(8),
            "accountSummaryTags": .stringArray(["NetLiquidation"]), "autoConnect": .bool(false),
        ])
        var expected = IBKRConfiguration()
        expected.host = "10.0.0.5"
        expected.port = 4001
        expected.clientId = 9
        expected.accountId = "U123"
        expected.marketDataType = 3
        expected.lineBudget = 7
        expected.connectTimeoutSeconds = 2
        expected.pacingPerSecond = 20
        expected.reconnectInitialSeconds = 0.5
        expected.reconnectCapSeconds = 4
        expected.resumeCheckSeconds = 1.5
        expected.heartbeatIdleSeconds = 20
        expected.heartbeatTimeoutSeconds = 8
        expected.accountSummaryTags = ["NetLiquidation"]
        expected.autoConnect = false
        #expect(c == expected)
    }

    @Test func whatIsReadIsChecked() {
        #expect(throws: IBKRConfiguration.ConfigurationError.outOfRange(setting: "ibkr.port", value: "99999", range: "1–65535")) {
            try Self.read(["port": .int(99999)])
        }
        #expect(throws: IBKRConfiguration.ConfigurationError.invalid(setting: "ibkr.host", value: "")) {
            try Self.read(["host": .string("")])
        }
        let error = IBKRConfiguration.ConfigurationError.outOfRange(setting: "ibkr.marketDataType", value: "5", range: "1–4")
        #expect(throws: error) { try Self.read(["marketDataType": .int(5)]) }
        #expect(error.description == "ibkr.marketDataType is 5; it must be 1–4")
    }
}
