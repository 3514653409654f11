import TastyTradeBroker
import Testing

@Suite struct TastyTradeCredentialsTests {
    @Test func neverPrintTheSecrets() {
        let grant = TastyTradeCredentials(clientID: "id-1", clientSecret: "s3cr3t", refreshToken: "r3fr3sh")
        #expect(!"\(grant)".contains("s3cr3t"))
        #expect(!"\(grant)".contains("r3fr3sh"))
    }
}
