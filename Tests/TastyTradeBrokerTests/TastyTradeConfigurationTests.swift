import Configuration
import Testing
import TickhubCore

@testable import TastyTradeBroker

@Suite struct TastyTradeConfigurationTests {
    func configuration(_ values: [AbsoluteConfigKey: ConfigContent]) throws -> TastyTradeConfiguration {
        try TastyTradeConfiguration(
            config: ConfigReader(provider: InMemoryProvider(values: values.mapValues { ConfigValue($0, isSecret: false) })),
            version: "2.3.0")
    }

    @Test func defaultsAreProduction() throws {
        let settings = try configuration([:])
        #expect(settings.baseURL == "https://api.tastyworks.com")
        #expect(settings.streamerURL == "wss://streamer.tastyworks.com")
        #expect(settings.accounts.isEmpty)
        #expect(settings.fullRefreshSeconds == 300)
        #expect(settings.tokenRefreshMarginSeconds == 60)
        #expect(settings.heartbeatSeconds == 20)
        #expect(settings.userAgent == "tickhub/2.3.0")
    }

    @Test func readsTheSection() throws {
        let settings = try configuration([
            "baseURL": .string("http://127.0.0.1:9100"), "streamerURL": .string("ws://127.0.0.1:9100/streamer"),
            "accounts": .stringArray(["5WT00001", " ", "5WT00002 "]), "fullRefreshSeconds": .double(30),
            "heartbeatSeconds": .double(5), "userAgent": .string("desk/1"),
        ])
        #expect(settings.baseURL == "http://127.0.0.1:9100")
        #expect(settings.accounts == ["5WT00001", "5WT00002"])
        #expect(settings.fullRefreshSeconds == 30)
        #expect(settings.heartbeatSeconds == 5)
        #expect(settings.userAgent == "desk/1")
    }

    @Test func refusesWhatCannotWork() {
        // Tokens would cross a network in clear.
        #expect(throws: InvalidSetting.self) { try configuration(["baseURL": .string("http://api.tastyworks.com")]) }
        #expect(throws: InvalidSetting.self) { try configuration(["streamerURL": .string("ws://10.0.0.2/streamer")]) }
        #expect(throws: InvalidSetting.self) { try configuration(["streamerURL": .string("https://streamer.tastyworks.com")]) }
        #expect(throws: InvalidSetting.self) { try configuration(["baseURL": .string("not a url")]) }
        // TastyTrade answers 401 without product/version.
        #expect(throws: InvalidSetting.self) { try configuration(["userAgent": .string("tickhub")]) }
        // The streamer drops a client silent past 60 s.
        #expect(throws: InvalidSetting.self) { try configuration(["heartbeatSeconds": .double(90)]) }
        #expect(throws: InvalidSetting.self) { try configuration(["tokenRefreshMarginSeconds": .double(900)]) }
    }
}
