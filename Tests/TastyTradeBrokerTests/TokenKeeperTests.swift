import NIOConcurrencyHelpers
import TastyTrade
import Testing

@testable import TastyTradeBroker

/// The keeper's rules with a hand-moved clock and a grant that answers what the test says; the sync tests cover the
/// same against the simulated TastyTrade.
@Suite struct TokenKeeperTests {
    final class Fixture: Sendable {
        let clock = NIOLockedValueBox(ContinuousClock.now)
        let answers = NIOLockedValueBox<[Result<OAuthToken, Error>]>([])
        let asked = NIOLockedValueBox(0)

        func keeper(margin: Duration = .seconds(60)) -> TokenKeeper {
            TokenKeeper(
                policy: .init(refreshMargin: margin, failureBackoff: .seconds(1), rateLimitBackoff: .seconds(10), failureCap: .seconds(300)),
                now: { self.clock.withLockedValue { $0 } }
            ) {
                let index = self.asked.withLockedValue { count in
                    count += 1
                    return count - 1
                }
                // Long enough for concurrent callers to pile up behind one renewal.
                try await Task.sleep(for: .milliseconds(50))
                let answers = self.answers.withLockedValue { $0 }
                return try answers[min(index, answers.count - 1)].get()
            }
        }

        func advance(_ duration: Duration) { clock.withLockedValue { $0 = $0 + duration } }
    }

    static func token(_ name: String) -> OAuthToken { OAuthToken(accessToken: name, expiresIn: 900) }

    @Test func oneRenewalForManyCallersAndNoneUntilTheMargin() async throws {
        let fixture = Fixture()
        fixture.answers.withLockedValue { $0 = [.success(Self.token("a")), .success(Self.token("b"))] }
        let keeper = fixture.keeper()
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await keeper.accessToken().accessToken } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(tokens) == ["a"])
        #expect(fixture.asked.withLockedValue { $0 } == 1)
        fixture.advance(.seconds(839))
        #expect(try await keeper.accessToken().accessToken == "a")
        // Inside the 60 s margin before the 900 s expiry: renewed ahead.
        fixture.advance(.seconds(2))
        #expect(try await keeper.accessToken().accessToken == "b")
        #expect(await keeper.grantRequests == 2)
    }

    @Test func aRefusedGrantIsFinal() async throws {
        let fixture = Fixture()
        fixture.answers.withLockedValue { $0 = [.failure(TastyAPIError(status: 401, code: "invalid_grant", message: "Grant revoked"))] }
        let keeper = fixture.keeper()
        for _ in 0..<5 {
            await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() }
            fixture.advance(.seconds(3600))
        }
        #expect(fixture.asked.withLockedValue { $0 } == 1)
        #expect(await keeper.isRevoked)
        do {
            _ = try await keeper.accessToken()
        } catch {
            #expect("\(error)".contains("TASTYTRADE_REFRESH_TOKEN"))
            #expect("\(error)".contains("invalid_grant"))
        }
    }

    @Test func a429AndFailuresHoldRenewalsBackDoubling() async throws {
        let fixture = Fixture()
        fixture.answers.withLockedValue {
            $0 = [.failure(TastyAPIError(status: 429, code: "", message: "")), .failure(TastyAPIError(status: 429, code: "", message: "")),
                  .success(Self.token("c"))]
        }
        let keeper = fixture.keeper()
        await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() }
        // Held back 10 s: asking again sooner does not reach TastyTrade.
        fixture.advance(.seconds(9))
        for _ in 0..<10 { await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() } }
        #expect(fixture.asked.withLockedValue { $0 } == 1)
        fixture.advance(.seconds(1))
        await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() }
        #expect(fixture.asked.withLockedValue { $0 } == 2)
        // The second 429 holds back 20 s.
        fixture.advance(.seconds(19))
        await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() }
        fixture.advance(.seconds(1))
        #expect(try await keeper.accessToken().accessToken == "c")
        #expect(fixture.asked.withLockedValue { $0 } == 3)
    }

    @Test func aRejectedTokenIsRenewedOnceThenHeldBack() async throws {
        let fixture = Fixture()
        fixture.answers.withLockedValue { $0 = [.success(Self.token("d")), .success(Self.token("e")), .success(Self.token("f"))] }
        let keeper = fixture.keeper()
        let first = try await keeper.accessToken()
        await keeper.rejected(first)
        let second = try await keeper.accessToken()
        #expect(second.accessToken == "e")
        // A fresh token turned away too: renewing again would not help, so renewals wait.
        await keeper.rejected(second)
        await #expect(throws: TokenKeeper.Failure.self) { try await keeper.accessToken() }
        #expect(fixture.asked.withLockedValue { $0 } == 2)
        // Rejecting a token that is no longer the current one changes nothing.
        await keeper.rejected(first)
        fixture.advance(.seconds(2))
        #expect(try await keeper.accessToken().accessToken == "f")
    }
}
