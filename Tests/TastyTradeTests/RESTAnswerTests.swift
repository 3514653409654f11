import TastyTrade
import TickhubCore
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("TastyTrade REST answers")
struct RESTAnswerTests {
    @Test func oauthTokenIsPlainOAuthJSON() throws {
        let token = try OAuthToken(json: bytes(#"{"access_token":"abc.def","token_type":"Bearer","expires_in":900,"id_token":"xyz"}"#))
        #expect(token == OAuthToken(accessToken: "abc.def", tokenType: "Bearer", expiresIn: 900, idToken: "xyz"))
        #expect(token.authorization == "Bearer abc.def")
        #expect(try OAuthToken(json: token.json) == token)
        // Wrapped in data, as the other answers are, is not the token answer.
        #expect(throws: TastyTradeFormatError.self) { try OAuthToken(json: bytes(#"{"data":{"access_token":"a","expires_in":900}}"#)) }
        #expect(throws: TastyTradeFormatError.self) { try OAuthToken(json: bytes(#"{"access_token":"a","expires_in":"soon"}"#)) }
        #expect(throws: TastyTradeFormatError.self) { try OAuthToken(json: bytes(#"{"access_token":"a","expires_in":0}"#)) }
        // Without expires_in, the documented 15 minutes (as the SDKs assume); without token_type, Bearer.
        #expect(try OAuthToken(json: bytes(#"{"access_token":"a"}"#)) == OAuthToken(accessToken: "a", tokenType: "Bearer", expiresIn: 900))
    }

    @Test func accountsAreNestedUnderAccountWithTheirAuthority() throws {
        let json = #"""
            {"data":{"items":[
              {"account":{"account-number":"5WT00001","nickname":"Main","account-type-name":"Individual","margin-or-cash":"Margin","is-closed":false,"opened-at":"2023-01-04T15:00:00.000+00:00"},"authority-level":"owner"},
              {"account":{"account-number":"5WT00009","margin-or-cash":"Cash","is-closed":true},"authority-level":"read-only"}
            ]},"context":"/customers/me/accounts"}
            """#
        let accounts = try TastyAccount.list(json: bytes(json))
        #expect(accounts.map(\.accountNumber) == ["5WT00001", "5WT00009"])
        #expect(accounts[0].nickname == "Main" && accounts[0].marginOrCash == "Margin" && accounts[0].accountTypeName == "Individual")
        #expect(!accounts[0].isClosed && accounts[1].isClosed)
        #expect(accounts[0].authorityLevel == "owner" && accounts[1].authorityLevel == "read-only")
        #expect(try TastyAccount.list(json: TastyAccount.listJSON(accounts)) == accounts)
    }

    @Test func anAccountWithoutItsNumberRefusesTheAnswer() {
        let json = #"{"data":{"items":[{"account":{"nickname":"x"},"authority-level":"owner"}]}}"#
        #expect { try TastyAccount.list(json: bytes(json)) } throws: { error in
            (error as? TastyTradeFormatError)?.message.contains("data.items[0]") == true
        }
    }

    @Test func balancesAreStringDecimalsWithDebitEffects() throws {
        let json = #"""
            {"data":{"account-number":"5WT00001","cash-balance":"7218.997","net-liquidating-value":"52311.42",
             "equity-buying-power":"14437.99","derivative-buying-power":"7218.99","maintenance-requirement":"1203.5",
             "pending-cash":"25.0","pending-cash-effect":"Debit","short-equity-value":"1801.5","currency":"USD",
             "snapshot-date":"2026-12-04","updated-at":"2026-12-04T20:59:59.123+00:00"},"context":"/accounts/5WT00001/balances"}
            """#
        let balance = try TastyBalance(json: bytes(json))
        #expect(balance.accountNumber == "5WT00001" && balance.currency == "USD")
        #expect(balance.cashBalance == 7218.997 && balance.netLiquidatingValue == 52311.42)
        #expect(balance.equityBuyingPower == 14437.99 && balance.derivativeBuyingPower == 7218.99)
        #expect(balance.maintenanceRequirement == 1203.5 && balance.shortEquityValue == 1801.5)
        #expect(balance.pendingCash == -25)
        #expect(balance.marginEquity == nil, "a figure not sent is unknown, not zero")
        #expect(balance.updatedAt == "2026-12-04T20:59:59.123+00:00")
        #expect(try TastyBalance(json: balance.json) == balance)
    }

    @Test func aGarbledBalanceFigureIsAnErrorNotAGap() {
        let json = #"{"data":{"account-number":"5WT00001","net-liquidating-value":"52,311.42"}}"#
        #expect { try TastyBalance(json: bytes(json)) } throws: { error in
            (error as? TastyTradeFormatError)?.message.contains("net-liquidating-value") == true
        }
    }

    @Test func quoteTokenNamesItsURLAndLevel() throws {
        let json = #"{"data":{"token":"dGVzdA==","dxlink-url":"wss://tasty-openapi-ws.dxfeed.com/realtime","level":"api"},"context":"/api-quote-tokens"}"#
        let token = try DXLinkToken(json: bytes(json))
        #expect(token == DXLinkToken(token: "dGVzdA==", url: "wss://tasty-openapi-ws.dxfeed.com/realtime", level: "api"))
        #expect(!token.isDelayed)
        #expect(DXLinkToken(token: "t", url: "ws://x", level: "delayed").isDelayed)
        #expect(DXLinkToken(token: "t", url: "ws://x", level: "demo").isDelayed, "the sandbox's level, 15 minutes delayed")
        #expect(try DXLinkToken(json: token.json) == token)
        #expect(throws: TastyTradeFormatError.self) {
            try DXLinkToken(json: bytes(#"{"data":{"token":"t","dxlink-url":"https://not-a-socket","level":"api"}}"#))
        }
    }

    @Test func errorsInEitherShape() throws {
        let api = try #require(TastyAPIError(
            json: bytes(#"{"error":{"code":"invalid_credentials","message":"Login failed.","errors":[{"code":"x","message":"y"}]}}"#),
            status: 401))
        #expect(api.status == 401 && api.code == "invalid_credentials" && api.message == "Login failed.")
        #expect(api.details == ["x: y"])
        #expect(TastyAPIError(json: api.json, status: 401) == api)
        let version = try #require(TastyAPIError(json: bytes(#"{"error":{"code":406,"message":"The requested version is not supported."}}"#), status: 406))
        #expect(version.code == "406")
        let oauth = try #require(TastyAPIError(json: bytes(#"{"error":"invalid_grant","error_description":"Grant revoked"}"#), status: 400))
        #expect(oauth.code == "invalid_grant" && oauth.message == "Grant revoked")
        // nginx's HTML 401 (no User-Agent) and an empty body hold no error: the caller reports the status.
        #expect(TastyAPIError(json: bytes("<html><body><h1>401 Authorization Required</h1></body></html>"), status: 401) == nil)
        #expect(TastyAPIError(json: [], status: 429) == nil)
    }

    @Test(arguments: ["", "{", "[]", "null", "\"x\"", #"{"data":[]}"#, #"{"data":{"items":{}}}"#, #"{"items":[]}"#])
    func malformedAnswersAreClearErrors(body: String) {
        for read in [
            { _ = try TastyAccount.list(json: bytes(body)) },
            { _ = try TastyPosition.list(json: bytes(body)) },
        ] as [() throws -> Void] {
            #expect { try read() } throws: { error in
                guard let error = error as? TastyTradeFormatError else { return false }
                return !error.message.isEmpty && (error.message.hasPrefix("accounts") || error.message.hasPrefix("positions"))
            }
        }
        #expect(throws: TastyTradeFormatError.self) { try TastyBalance(json: bytes(body)) }
        #expect(throws: TastyTradeFormatError.self) { try DXLinkToken(json: bytes(body)) }
        #expect(throws: TastyTradeFormatError.self) { try OAuthToken(json: bytes(body)) }
    }
}
