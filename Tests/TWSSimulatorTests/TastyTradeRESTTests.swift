import Foundation
import Testing
import TWSSimulator
import TastyTrade

/// The simulated TastyTrade's REST API over a real socket: the OAuth grant, the accounts, positions and balances
/// read back with the vocabulary's own readers, and the faults a client must survive.
@Suite("TastyTrade simulator REST")
struct TastyTradeRESTTests {
    @Test func grantIssuesTokensFromFormOrJSONAndRefusesWrongCredentials() async throws {
        try await withTastyTrade { tt in
            let form = try await tt.grant()
            #expect(form.status == 200, "\(form.body)")
            let token = try OAuthToken(json: form.bytes)
            #expect(token.tokenType == "Bearer")
            #expect(token.expiresIn == 900)
            #expect(!form.body.contains("\"data\""), "the OAuth answer is not wrapped in data: \(form.body)")

            let json = try await tt.request(.POST, "/oauth/token", body: """
                {"grant_type":"refresh_token","refresh_token":"\(TastyTradeSimulatorConfiguration.demoRefreshToken)",\
                "client_secret":"\(TastyTradeSimulatorConfiguration.demoClientSecret)"}
                """)
            #expect(json.status == 200, "\(json.body)")
            #expect(try OAuthToken(json: json.bytes).accessToken != token.accessToken)

            let wrongGrant = try await tt.grant(refreshToken: "not-the-grant")
            #expect(wrongGrant.status == 401)
            #expect(TastyAPIError(json: wrongGrant.bytes, status: wrongGrant.status)?.code == "invalid_grant")

            let wrongSecret = try await tt.request(
                .POST, "/oauth/token", body: "grant_type=refresh_token&refresh_token=x&client_secret=wrong",
                contentType: "application/x-www-form-urlencoded")
            #expect(wrongSecret.status == 401)
            #expect(TastyAPIError(json: wrongSecret.bytes, status: 401)?.code == "invalid_client")
            #expect(try await tt.tastyTrade.status().grantsRefused == 2)
        }
    }

    @Test func aRequestWithoutUserAgentGetsNginxHTML() async throws {
        try await withTastyTrade { tt in
            let response = try await tt.request(.GET, "/customers/me/accounts", userAgent: nil)
            #expect(response.status == 401)
            #expect(response.contentType.hasPrefix("text/html"))
            #expect(response.body.contains("nginx"))
            #expect(TastyAPIError(json: response.bytes, status: 401) == nil, "no JSON error in an HTML page")
        }
    }

    @Test func accountsPositionsAndBalancesReadBack() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let accounts = try TastyAccount.list(json: try await tt.get("/customers/me/accounts", token: token).bytes)
            #expect(accounts.map(\.accountNumber) == ["5WT00001", "5WT00002"])
            #expect(accounts.map(\.marginOrCash) == ["Margin", "Cash"])
            #expect(accounts.allSatisfy { !$0.isClosed && $0.authorityLevel == "owner" })

            let plain = try TastyPosition.list(json: try await tt.get("/accounts/5WT00001/positions", token: token).bytes)
            #expect(plain.skipped.isEmpty, "\(plain.skipped)")
            #expect(plain.positions.allSatisfy { $0.mark == nil }, "marks only with include-marks")

            let marked = try await tt.get("/accounts/5WT00001/positions?include-marks=true", token: token)
            #expect(marked.body.contains("\"mark-price\""))
            let positions = try TastyPosition.list(json: marked.bytes).positions
            let bySymbol = Dictionary(uniqueKeysWithValues: positions.map { ($0.symbol, $0) })
            #expect(Set(bySymbol.keys) == ["AAPL", "MSFT", "SPY   271217C00600000", "BTC/USD", "/ESZ6"])
            let msft = try #require(bySymbol["MSFT"])
            #expect(msft.quantity == -20)
            #expect(msft.quantityDirection == "Short")
            #expect(msft.costEffect == "Debit")
            let option = try #require(bySymbol["SPY   271217C00600000"])
            #expect(option.instrumentType == .equityOption)
            #expect(option.multiplier == 100)
            #expect(option.underlyingSymbol == "SPY")
            #expect(option.streamerSymbol == ".SPY271217C600")
            #expect(bySymbol["BTC/USD"]?.streamerSymbol == "BTC/USD:CXTALP")
            #expect(bySymbol["/ESZ6"]?.streamerSymbol == "/ESZ26:XCME")
            #expect(bySymbol["/ESZ6"]?.instrumentType == .future)
            #expect(bySymbol["/ESZ6"]?.multiplier == 50)
            #expect(bySymbol["BTC/USD"]?.quantity == 0.25)
            // Marks come from the simulated market: near the universe's prices, and the future's on its tick grid.
            let aapl = try #require(bySymbol["AAPL"]?.mark)
            #expect(abs(aapl / 230.10 - 1) < 0.05, "AAPL mark \(aapl)")
            let future = try #require(bySymbol["/ESZ6"]?.mark)
            #expect((future / 0.25).rounded() * 0.25 == future)
            #expect(positions.allSatisfy { $0.closePrice != nil && $0.mark != nil })

            let balance = try TastyBalance(json: try await tt.get("/accounts/5WT00001/balances", token: token).bytes)
            #expect(balance.accountNumber == "5WT00001")
            #expect(balance.cashBalance == 48_250.75)
            let shortEquity = try #require(balance.shortEquityValue)
            #expect(shortEquity < 0, "short equity is written with a Debit effect and read negative")
            let netLiq = try #require(balance.netLiquidatingValue)
            let parts = 48_250.75 + (balance.longEquityValue ?? 0) + shortEquity + (balance.longDerivativeValue ?? 0)
                + (balance.shortDerivativeValue ?? 0)
            let futureGain = (future - 5_585.25) * 50
            #expect(abs(netLiq - parts - futureGain) < 1, "net liquidation \(netLiq) vs its parts \(parts) + \(futureGain)")
            #expect(try await tt.get("/accounts/5WT00002/balances/USD", token: token).status == 200)

            let missing = try await tt.get("/accounts/5WT99999/positions", token: token)
            #expect(missing.status == 404)
            #expect(TastyAPIError(json: missing.bytes, status: 404) != nil)
        }
    }

    @Test func quoteTokenNamesThisSimulatorsDXLink() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            let quote = try DXLinkToken(json: try await tt.get("/api-quote-tokens", token: token).bytes)
            #expect(quote.url == "ws://127.0.0.1:\(tt.port)/dxlink")
            #expect(quote.level == "api")
            #expect(!quote.isDelayed)
        }
    }

    @Test func expiredTokensAreRefusedUntilRefreshed() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            #expect(try await tt.get("/customers/me/accounts", token: token).status == 200)
            await tt.tastyTrade.inject(.expireTokens)
            let refused = try await tt.get("/customers/me/accounts", token: token)
            #expect(refused.status == 401)
            #expect(TastyAPIError(json: refused.bytes, status: 401)?.code == "token_invalid")
            let fresh = try await tt.accessToken()
            #expect(try await tt.get("/customers/me/accounts", token: fresh).status == 200)
            #expect(try await tt.get("/customers/me/accounts", token: "made-up").status == 401)
        }
    }

    @Test func aTokenLivesItsConfiguredSeconds() async throws {
        try await withTastyTrade({ $0.tokenSeconds = 1 }) { tt in
            let response = try await tt.grant()
            #expect(try OAuthToken(json: response.bytes).expiresIn == 1)
            let token = try OAuthToken(json: response.bytes).accessToken
            #expect(try await tt.get("/customers/me/accounts", token: token).status == 200)
            // Bounded: the token dies 1 s after it was issued; allow a busy machine 10 s.
            let deadline = ContinuousClock.now + .seconds(10)
            var status = 200
            while status == 200, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                status = try await tt.get("/customers/me/accounts", token: token).status
            }
            #expect(status == 401)
        }
    }

    @Test func aRevokedGrantRefusesRefreshAndItsTokens() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            await tt.tastyTrade.inject(.revokeGrant)
            let refresh = try await tt.grant()
            #expect(refresh.status == 401)
            let error = try #require(TastyAPIError(json: refresh.bytes, status: refresh.status))
            #expect(error.code == "invalid_grant")
            #expect(error.message.contains("revoked"))
            #expect(try await tt.get("/customers/me/accounts", token: token).status == 401)
            #expect(try await tt.tastyTrade.status().grantRevoked)
            await tt.tastyTrade.inject(.restoreGrant)
            #expect(try await tt.grant().status == 200)
        }
    }

    @Test func tooManyRequestsAnswers429ThatManyTimes() async throws {
        try await withTastyTrade { tt in
            let token = try await tt.accessToken()
            await tt.tastyTrade.inject(.tooManyRequests(count: 2))
            let first = try await tt.get("/customers/me/accounts", token: token)
            #expect(first.status == 429)
            #expect(TastyAPIError(json: first.bytes, status: 429) != nil)
            #expect(try await tt.grant().status == 429, "a token refresh is a request like any other")
            #expect(try await tt.get("/customers/me/accounts", token: token).status == 200)
            let status = try await tt.tastyTrade.status()
            #expect(status.tooManyRequests == 2)
            #expect(status.refusingNext == 0)
        }
    }
}
