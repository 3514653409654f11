import Foundation
import TWSSimulator
import TastyTrade
import Testing
import TickhubCore

@testable import TastyTradeBroker

/// The sync against the simulated TastyTrade over real loopback sockets: REST, the account streamer, its faults.
@Suite(.serialized) struct TastyTradeSyncTests {
    static let margin = "5WT00001"
    static let cash = "5WT00002"

    @Test func positionsAndBalancesAppearThenGoLive() async throws {
        try await withTastyTradeSync { h in
            h.sync.start { h.events.put($0) }
            let margin = try await h.positions(Self.margin, "the margin account's five positions") { $0.count == 5 }
            guard case let .positions(_, set) = margin.item else { return }
            let bySymbol = Dictionary(uniqueKeysWithValues: set.map { ($0.symbol, $0) })
            #expect(bySymbol["AAPL"]?.quantity == 50)
            #expect(bySymbol["MSFT"]?.quantity == -20)
            #expect(bySymbol["SPY   271217C00600000"]?.multiplier == 100)
            #expect(bySymbol["BTC/USD"]?.quantity == 0.25)
            #expect(bySymbol["/ESZ6"]?.instrumentType == .future)
            // With include-marks, TastyTrade's own mark comes with each position.
            #expect(set.allSatisfy { $0.mark != nil })
            try await h.positions(Self.cash, "the cash account's two stocks") { $0.map(\.symbol) == ["NVDA", "QQQ"] }
            let balances = try await h.events.first("the margin account's balances") {
                if case let .balances(account, balance) = $0 { account == Self.margin && balance.netLiquidatingValue != nil } else { false }
            }
            if case let .balances(_, balance) = balances.item { #expect(balance.cashBalance != nil) }
            let live = try await h.status(.live)
            #expect(live.accounts == [Self.margin, Self.cash])
            #expect(live.lastSyncAt != nil)
            #expect(live.detail == nil)
            // What the sync holds is what TastyTrade holds.
            let held = try await h.tastyTrade.positions(account: Self.cash)
            #expect(held.map(\.quantity) == [40, 15])
        }
    }

    @Test func aFillOnTheStreamerReachesTheSinkWithinASecond() async throws {
        try await withTastyTradeSync { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            var delays: [Double] = []
            for round in 1...5 {
                let from = h.events.count
                let sent = ContinuousClock.now
                try await h.tastyTrade.fill(account: Self.margin, symbol: "AAPL", quantity: 10)
                let expected = 50.0 + Double(round) * 10
                let arrival = try await h.positions(Self.margin, from: from, timeout: .seconds(5), "AAPL at \(expected)") { set in
                    set.first { $0.symbol == "AAPL" }?.quantity == expected
                }
                let delay = arrival.at - sent
                delays.append(Double(delay.components.attoseconds) / 1e15 + Double(delay.components.seconds) * 1000)
            }
            // A fill that closes a position takes it out of the set.
            let from = h.events.count
            try await h.tastyTrade.fill(account: Self.cash, symbol: "QQQ", quantity: -15)
            try await h.positions(Self.cash, from: from, "QQQ closed") { $0.map(\.symbol) == ["NVDA"] }
            let sorted = delays.sorted()
            print("TastyTrade fill → sink delay (ms) over \(delays.count) fills: median \(sorted[sorted.count / 2]), max \(sorted.last!), all \(delays.map { ($0 * 100).rounded() / 100 })")
            #expect(sorted.last! < 1000)
        }
    }

    @Test func tokensExpireAndAreRenewedWithoutAGap() async throws {
        try await withTastyTradeSync(simulated: { $0.tokenSeconds = 4 }, settings: {
            $0.tokenRefreshMarginSeconds = 2
            $0.heartbeatSeconds = 2
            $0.fullRefreshSeconds = 1.5
        }) { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            let liveAt = h.events.count
            // Over three token lifetimes, fills keep arriving within a second and refreshes keep succeeding.
            let started = ContinuousClock.now
            var quantity = 50.0
            var round = 0
            while ContinuousClock.now - started < .seconds(10), round < 40 {
                round += 1
                let from = h.events.count
                let sent = ContinuousClock.now
                try await h.tastyTrade.fill(account: Self.margin, symbol: "AAPL", quantity: 1)
                quantity += 1
                let target = quantity
                let arrival = try await h.positions(Self.margin, from: from, timeout: .seconds(5), "AAPL at \(target)") { set in
                    set.first { $0.symbol == "AAPL" }?.quantity == target
                }
                #expect(arrival.at - sent < .seconds(1))
                try await h.events.first("the next full refresh", from: h.events.count, timeout: .seconds(5)) {
                    if case .status(let status) = $0 { status.state == .live } else { false }
                }
            }
            let simulated = try await h.tastyTrade.status()
            #expect(simulated.tokensIssued >= 3, "renewed ahead of each expiry: \(simulated.tokensIssued) tokens")
            // Renewed before expiry: TastyTrade never had to turn a request away.
            #expect(simulated.unauthorized == 0)
            #expect(h.statuses.dropFirst().allSatisfy { $0.state != .error })
            #expect(!h.events.items.dropFirst(liveAt).contains { if case .status(let s) = $0 { s.state != .live } else { false } })

            // Tokens that die early (TastyTrade ended them): one renewal each, no gap in the positions.
            await h.tastyTrade.inject(.expireTokens)
            let from = h.events.count
            try await h.tastyTrade.fill(account: Self.margin, symbol: "AAPL", quantity: 1)
            let target = quantity + 1
            try await h.positions(Self.margin, from: from, timeout: .seconds(2), "AAPL at \(target) after the tokens died") { set in
                set.first { $0.symbol == "AAPL" }?.quantity == target
            }
            try await h.events.first("a refresh after the early expiry", from: from, timeout: .seconds(6)) {
                if case .status(let status) = $0 { status.state == .live } else { false }
            }
            #expect(!h.statuses.contains { $0.state == .error })
        }
    }

    @Test func aRevokedGrantEndsInTheErrorStateWithoutRetrying() async throws {
        try await withTastyTradeSync(settings: {
            $0.heartbeatSeconds = 2
            $0.fullRefreshSeconds = 1
        }) { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            let before = try await h.tastyTrade.status()
            await h.tastyTrade.inject(.revokeGrant)
            let error = try await h.status(.error, timeout: .seconds(10))
            let detail = try #require(error.detail)
            #expect(detail.contains("TASTYTRADE_REFRESH_TOKEN"))
            #expect(detail.contains("restart"))
            #expect(detail.contains("invalid_grant"))
            // Several heartbeat and refresh periods later: one refused renewal, and nothing asked since.
            let after = try await h.tastyTrade.status()
            let requestsAfter = after.requests
            try await Task.sleep(for: .seconds(4))
            let later = try await h.tastyTrade.status()
            #expect(later.grantsRefused == 1, "token requests refused: \(later.grantsRefused)")
            #expect(later.tokensIssued == before.tokensIssued)
            #expect(later.requests == requestsAfter, "requests after the error: \(later.requests - requestsAfter)")
            #expect(await h.sync.api.tokens.grantRequests == before.tokensIssued + 1)
            #expect(later.connectedStreamers == 0)
            // The quote provider's token request fails at once, without asking TastyTrade.
            await #expect(throws: TokenKeeper.Failure.self) { try await h.sync.quoteToken() }
            #expect(try await h.tastyTrade.status().requests == requestsAfter)
        }
    }

    @Test func aGrantRevokedBeforeStartIsAskedOnce() async throws {
        try await withTastyTradeSync { h in
            await h.tastyTrade.inject(.revokeGrant)
            h.sync.start { h.events.put($0) }
            let error = try await h.status(.error)
            #expect(error.detail?.contains("TASTYTRADE_REFRESH_TOKEN") == true)
            #expect(error.accounts.isEmpty)
            #expect(!h.events.items.contains { if case .positions = $0 { true } else { false } })
            let simulated = try await h.tastyTrade.status()
            #expect(simulated.grantsRefused == 1)
            #expect(simulated.requests == 1)
        }
    }

    @Test func anUnreachableTastyTradeIsAskedAtAPacedRate() async throws {
        try await withTastyTradeSync(settings: {
            // A port nothing listens on: the simulator's, once stopped.
            $0.reconnectInitialSeconds = 0.25
            $0.reconnectCapSeconds = 1
            // The HTTP client retries a refused connection until the request's deadline: keep that short.
            $0.requestTimeoutSeconds = 0.5
        }) { h in
            await h.tastyTrade.stop()
            let started = ContinuousClock.now
            h.sync.start { h.events.put($0) }
            let error = try await h.status(.error)
            #expect(error.detail?.contains("unreachable") == true || error.detail?.contains("cannot renew") == true)
            // Three seconds of failures, each attempt 0.5 s and the waits between doubling (0.25, 0.5, 1, then the
            // 1 s cap): a handful of attempts, not a loop.
            try await Task.sleep(until: started + .seconds(3))
            let attempts = await h.sync.api.tokens.grantRequests
            print("TastyTrade unreachable: \(attempts) token attempts in 3 s")
            #expect(attempts >= 2 && attempts <= 7)
        }
    }

    @Test func a429BacksOff() async throws {
        try await withTastyTradeSync { h in
            await h.tastyTrade.inject(.tooManyRequests(count: 2))
            let started = ContinuousClock.now
            h.sync.start { h.events.put($0) }
            let limited = try await h.status(.error)
            #expect(limited.detail?.contains("429") == true)
            try await h.status(.live, timeout: .seconds(20))
            let took = ContinuousClock.now - started
            let simulated = try await h.tastyTrade.status()
            print("TastyTrade: two 429s, live after \(took) with \(simulated.requests) requests")
            #expect(simulated.tooManyRequests == 2)
            // Held back 1 s after the first 429 and 2 s after the second: not a loop of attempts.
            #expect(took >= .seconds(2.5))
            #expect(simulated.tokensIssued == 1)
            #expect(await h.sync.api.tokens.grantRequests == 3)
        }
    }

    @Test func a429OnARefreshBacksOffAndKeepsTheToken() async throws {
        try await withTastyTradeSync(settings: { $0.fullRefreshSeconds = 1 }) { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            let from = h.events.count
            await h.tastyTrade.inject(.tooManyRequests(count: 2))
            let limited = try await h.status(.error, from: from)
            let limitedAt = ContinuousClock.now
            #expect(limited.detail?.contains("429") == true)
            #expect(limited.detail?.contains("refreshing") == true)
            try await h.status(.live, from: from + 1)
            let heldBack = ContinuousClock.now - limitedAt
            let simulated = try await h.tastyTrade.status()
            print("TastyTrade: two 429s on refreshes, live again \(heldBack) after the first")
            #expect(simulated.tooManyRequests == 2)
            // 1 s after the first 429, 2 s after the second; the access token was never at fault.
            #expect(heldBack >= .seconds(2.5))
            #expect(simulated.tokensIssued == 1)
        }
    }

    @Test func onlyTheConfiguredAccountsAndTheMissingOnesSaid() async throws {
        try await withTastyTradeSync(settings: { $0.accounts = [Self.cash, "5WT99999"] }) { h in
            h.sync.start { h.events.put($0) }
            let live = try await h.status(.live)
            #expect(live.accounts == [Self.cash])
            #expect(live.detail?.contains("5WT99999") == true)
            #expect(!h.events.items.contains { if case let .positions(account, _) = $0 { account == Self.margin } else { false } })
            try await h.positions(Self.cash, "the cash account") { $0.count == 2 }
        }
    }

    @Test func aDroppedStreamerReconnectsAndHealsWhatItMissed() async throws {
        try await withTastyTradeSync { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            let from = h.events.count
            await h.tastyTrade.inject(.dropStreamers)
            // A fill while no streamer listens reaches no one: the fetch after the reconnect brings it.
            try await h.tastyTrade.fill(account: Self.cash, symbol: "NVDA", quantity: 5)
            let lost = try await h.status(.connecting, from: from)
            #expect(lost.detail?.contains("account streamer lost") == true)
            try await h.positions(Self.cash, from: from, "NVDA at 45 after the reconnect") { set in
                set.first { $0.symbol == "NVDA" }?.quantity == 45
            }
            try await h.status(.live, from: from)
            #expect(try await h.tastyTrade.status().connectedStreamers == 1)
            // And the new streamer carries fills again.
            let next = h.events.count
            try await h.tastyTrade.fill(account: Self.cash, symbol: "NVDA", quantity: 1)
            try await h.positions(Self.cash, from: next, timeout: .seconds(2), "NVDA at 46 from the new streamer") { set in
                set.first { $0.symbol == "NVDA" }?.quantity == 46
            }
        }
    }

    @Test func secretsAndTokensAreNeverWrittenDown() async throws {
        try await withTastyTradeSync(settings: { $0.heartbeatSeconds = 2 }) { h in
            h.sync.start { h.events.put($0) }
            try await h.status(.live)
            await h.tastyTrade.inject(.expireTokens)
            await h.tastyTrade.inject(.dropStreamers)
            try await h.status(.live, from: h.events.count)
            let token = try await h.sync.api.tokens.accessToken()
            await h.tastyTrade.inject(.revokeGrant)
            await h.tastyTrade.inject(.expireTokens)
            try await h.status(.error, timeout: .seconds(10))
            let written = h.log.all + h.events.items.map { "\($0)" } + ["\(TastyTradeSyncHarness.credentials)", "\(h.sync.configuration)"]
            #expect(written.count > 5)
            for secret in [TastyTradeSimulatorConfiguration.demoClientSecret, TastyTradeSimulatorConfiguration.demoRefreshToken, token.accessToken] {
                let leaks = written.filter { $0.contains(secret) }
                #expect(leaks.isEmpty, "a secret was written: \(leaks.first ?? "")")
            }
        }
    }
}
