import Foundation
import TastyTradeBroker
import Testing
@testable import TickhubApp

/// The `tastytrade` section through the hub's one reader: the grant from the environment only, the endpoints from
/// anywhere, refusals named as the user gave them.
@Suite struct TastyTradeSettingsTests {
    static let grant = [
        "TASTYTRADE_CLIENT_ID": "app-7", "TASTYTRADE_CLIENT_SECRET": "s3cret-value", "TASTYTRADE_REFRESH_TOKEN": "r3fresh-value",
    ]

    @Test func withoutAGrantTheBrokerIsOff() throws {
        let settings = try ConfigurationLayersTests.settings()
        #expect(settings.tastytrade.credentials == nil)
        #expect(settings.tastytrade.configuration.baseURL == "https://api.tastyworks.com")
        #expect(settings.tastytrade.configuration.userAgent.hasPrefix("tickhub/"))
    }

    @Test func theGrantAndTheEndpointsComeFromTheEnvironment() throws {
        var environment = Self.grant
        environment["TASTYTRADE_BASE_URL"] = "https://api.cert.tastyworks.com"
        environment["TASTYTRADE_STREAMER_URL"] = "wss://streamer.cert.tastyworks.com"
        let settings = try ConfigurationLayersTests.settings(environment: environment).tastytrade
        #expect(settings.credentials == TastyTradeCredentials(clientID: "app-7", clientSecret: "s3cret-value", refreshToken: "r3fresh-value"))
        #expect(settings.configuration.baseURL == "https://api.cert.tastyworks.com")
        #expect(settings.configuration.streamerURL == "wss://streamer.cert.tastyworks.com")
        #expect(settings.quotes.userAgent == settings.configuration.userAgent)
    }

    @Test(arguments: [("clientSecret", "TASTYTRADE_CLIENT_SECRET"), ("refreshToken", "TASTYTRADE_REFRESH_TOKEN"), ("clientId", "TASTYTRADE_CLIENT_ID")])
    func aGrantInAFileIsRefusedNamingItsVariable(key: String, variable: String) throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.parse(Data(#"{"tastytrade": {"\#(key)": "x"}}"#.utf8), source: "hub.json")
        }
        #expect(error?.description == "hub.json: tastytrade.\(key) is a secret, never read from a file; set \(variable) in the environment")
    }

    @Test func plainHTTPIsRefusedBeyondThisMachineNamingTheVariable() {
        let message = ConfigurationLayersTests.refusal(environment: ["TASTYTRADE_BASE_URL": "http://api.tastyworks.com"])
        #expect(message?.hasPrefix(#"TASTYTRADE_BASE_URL="http://api.tastyworks.com" is not valid"#) == true, "\(message ?? "")")
    }
}
