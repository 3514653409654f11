import TastyTradeBroker
import Testing

@Suite struct TastyTradeCredentialsTests {
    @Test func needTheSecretAndTheRefreshToken() {
        #expect(TastyTradeCredentials(environment: ["TASTYTRADE_CLIENT_SECRET": "s"]) == nil)
        #expect(TastyTradeCredentials(environment: ["TASTYTRADE_CLIENT_SECRET": "s", "TASTYTRADE_REFRESH_TOKEN": ""]) == nil)
        let grant = TastyTradeCredentials(environment: ["TASTYTRADE_CLIENT_SECRET": "s3cr3t", "TASTYTRADE_REFRESH_TOKEN": "r3fr3sh"])
        #expect(grant?.refreshToken == "r3fr3sh")
        #expect(grant?.clientID == nil)
    }

    @Test func neverPrintTheSecrets() {
        let grant = TastyTradeCredentials(clientID: "id-1", clientSecret: "s3cr3t", refreshToken: "r3fr3sh")
        #expect(!"\(grant)".contains("s3cr3t"))
        #expect(!"\(grant)".contains("r3fr3sh"))
    }
}
