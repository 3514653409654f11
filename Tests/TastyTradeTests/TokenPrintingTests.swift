import TastyTrade
import Testing

@Suite struct TokenPrintingTests {
    @Test func anAccessTokenPrintedByMistakeIsRedacted() {
        let token = OAuthToken(accessToken: "eyJ.secret-access.sig", expiresIn: 900, idToken: "eyJ.secret-id.sig")
        for text in ["\(token)", String(reflecting: token), String(describing: [token])] {
            #expect(!text.contains("secret"), "\(text)")
        }
    }

    @Test func aQuoteTokenPrintedByMistakeIsRedacted() {
        let token = DXLinkToken(token: "dxlink-secret-token", url: "wss://tasty-openapi-ws.dxfeed.com/realtime", level: "api")
        for text in ["\(token)", String(reflecting: token), String(describing: Optional(token))] {
            #expect(!text.contains("secret"), "\(text)")
            #expect(text.contains("dxfeed.com"))
        }
    }
}
