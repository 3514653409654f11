import Configuration
import IBKR
import Testing

/// `ibkr.transport` and the `ibkr.clientPortal` section: the gateway's URL, and the IBKR host and port over it.
@Suite("ClientPortalSettings")
struct ClientPortalSettingsTests {
    static func read(_ values: [AbsoluteConfigKey: ConfigContent]) throws -> IBKRConfiguration {
        try IBKRConfiguration(config: ConfigReader(provider: InMemoryProvider(values: values.mapValues { ConfigValue($0, isSecret: false) })))
    }

    @Test func twsIsTheDefaultAndKeepsTWSsHostAndPort() throws {
        let c = try Self.read([:])
        #expect(c.transport == .tws)
        #expect(c.host == "127.0.0.1" && c.port == 7497)
        #expect(c.clientPortal == ClientPortalSettings())
    }

    @Test func clientPortalTakesTheGatewaysHostAndPortFromItsURL() throws {
        let c = try Self.read(["transport": .string("clientportal")])
        #expect(c.transport == .clientPortal)
        #expect(c.host == "localhost" && c.port == 5000)
        let moved = try Self.read(["transport": .string("clientportal"), "clientPortal.baseURL": .string("https://10.1.2.3:5443/")])
        #expect(moved.host == "10.1.2.3" && moved.port == 5443)
    }

    @Test func givenHostAndPortWinOverTheURL() throws {
        let c = try Self.read(["transport": .string("ClientPortal"), "host": .string("127.0.0.1"), "port": .int(5001)])
        #expect(c.transport == .clientPortal)
        #expect(c.host == "127.0.0.1" && c.port == 5001)
    }

    @Test func everyKeyIsRead() throws {
        let c = try Self.read([
            "transport": .string("clientportal"), "clientPortal.baseURL": .string("https://[::1]:5000"),
            "clientPortal.certificate": .string("/etc/gateway.pem"), "clientPortal.tickleSeconds": .double(30),
            "clientPortal.requestsPerSecond": .double(5), "clientPortal.penaltySeconds": .double(60),
            "clientPortal.portfolioSeconds": .double(10), "clientPortal.streamSilenceSeconds": .double(12),
            "clientPortal.subscriptionRenewSeconds": .double(300),
        ])
        #expect(c.host == "::1" && c.port == 5000)
        #expect(c.clientPortal.certificate == "/etc/gateway.pem")
        #expect(c.clientPortal.tickleSeconds == 30)
        #expect(c.clientPortal.requestsPerSecond == 5)
        #expect(c.clientPortal.penaltySeconds == 60)
        #expect(c.clientPortal.portfolioSeconds == 10)
        #expect(c.clientPortal.streamSilenceSeconds == 12)
        #expect(c.clientPortal.subscriptionRenewSeconds == 300)
    }

    @Test(arguments: [
        ("transport", ConfigContent.string("websocket")),
        ("clientPortal.baseURL", .string("http://localhost:5000")),
        ("clientPortal.baseURL", .string("https://localhost:5000/v1/api")),
        ("clientPortal.baseURL", .string("https://localhost:99999")),
        ("clientPortal.baseURL", .string("https://user@localhost:5000")),
        ("clientPortal.requestsPerSecond", .double(11)),
        ("clientPortal.requestsPerSecond", .double(0)),
        ("clientPortal.tickleSeconds", .double(600)),
        ("clientPortal.portfolioSeconds", .double(1)),
        // At or past IBKR's 10 minutes the gateway has ended the subscription before it is renewed.
        ("clientPortal.subscriptionRenewSeconds", .double(600)),
        ("clientPortal.subscriptionRenewSeconds", .double(0)),
    ])
    func refused(key: String, value: ConfigContent) {
        var values: [AbsoluteConfigKey: ConfigContent] = [AbsoluteConfigKey(key.split(separator: ".").map(String.init)): value]
        if key != "transport" { values["transport"] = .string("clientportal") }
        #expect(throws: IBKRConfiguration.ConfigurationError.self) { try Self.read(values) }
    }

    @Test func gatewayURLs() {
        #expect(ClientPortalSettings.gateway("https://localhost:5000")! == ("localhost", 5000))
        #expect(ClientPortalSettings.gateway("https://gateway.example")! == ("gateway.example", 443))
        #expect(ClientPortalSettings.gateway("HTTPS://[::1]:5000/")! == ("::1", 5000))
        for bad in ["", "https://", "https://:5000", "ftp://localhost", "https://localhost:x", "https://[::1", "https://a/b"] {
            #expect(ClientPortalSettings.gateway(bad) == nil, "\(bad)")
        }
    }
}
