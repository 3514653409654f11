import Foundation
import Store
import Synchronization
import Testing
import TickhubCore
@testable import Portfolio

@Suite("Portfolio: synced and live brokers")
struct PortfolioLiveBrokersTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-live-\(UUID().uuidString).sqlite").path

    /// Each broker's holdings and unvalued positions as last published, and how many times each was published.
    final class Published: Sendable {
        let byBroker = Mutex<[String: (holdings: [Holding], unvalued: [UnvaluedHolding], times: Int)]>([:])
        func set(_ broker: String, _ holdings: [Holding], _ unvalued: [UnvaluedHolding]) {
            byBroker.withLock { $0[broker] = (holdings, unvalued, ($0[broker]?.times ?? 0) + 1) }
        }
        subscript(_ broker: String) -> (holdings: [Holding], unvalued: [UnvaluedHolding], times: Int)? { byBroker.withLock { $0[broker] } }
    }

    static let reported: [BrokerPosition] = [
        BrokerPosition(symbol: "AAPL", securityType: .stock, quantity: 100, averageCost: 180),
        BrokerPosition(symbol: "SPY   261218C00600000", securityType: .option, quantity: -1, averageCost: 12.5, multiplier: 100),
        BrokerPosition(symbol: "/ESZ6", securityType: .future, quantity: 1, averageCost: 6000, multiplier: 50,
                       unvaluedReason: "futures are not in Tickhub's symbol grammar"),
    ]

    @Test func aSyncedBrokerNotLiveIsPublishedFromTheStoreWithItsUnvalued() async throws {
        let store = try PositionStore(path: path)
        let published = Published()
        let portfolio = PortfolioService(store: store) { published.set($0, $1, $2) }
        await portfolio.syncBroker("tastytrade", origin: .tastytrade, account: "5WT00001", Self.reported)

        let tasty = try #require(published["tastytrade"])
        #expect(tasty.holdings.map(\.instrument.symbol).sorted() == ["AAPL", "SPY 261218C00600000"])
        // TastyTrade's cost is per unit: the option's is not divided by its multiplier.
        let option = try #require(tasty.holdings.first { $0.instrument.securityType == .option })
        #expect(!option.costIncludesMultiplier && option.costPerUnit == 12.5 && option.quantity == -1)
        #expect(tasty.unvalued == [UnvaluedHolding(
            broker: "tastytrade", account: "5WT00001", symbol: "/ESZ6", secType: "FUT", quantity: 1, multiplier: 50, averageCost: 6000,
            currency: "USD", reason: "futures are not in Tickhub's symbol grammar")])
        #expect(published["ibkr"] == nil)
    }

    @Test func aLiveBrokerIsLeftToItsLinkUntilItGoesDown() async throws {
        let store = try PositionStore(path: path)
        let published = Published()
        let portfolio = PortfolioService(store: store, liveBrokers: ["ibkr", "tastytrade"]) { published.set($0, $1, $2) }
        try await store.createAccount(broker: "schwab", accountId: "S1")
        _ = try await store.insertManual(PositionDraft(symbol: "MSFT", quantity: 2, averageCost: 300), broker: "schwab", accountId: "S1")
        await portfolio.syncBroker("tastytrade", origin: .tastytrade, account: "5WT00001", Self.reported)
        await portfolio.publishStored()
        #expect(published["tastytrade"] == nil)
        #expect(published["schwab"]?.holdings.map(\.instrument.symbol) == ["MSFT"])

        // The link is down: the last positions it reported come from the store.
        await portfolio.setLive("tastytrade", false)
        #expect(published["tastytrade"]?.holdings.count == 2 && published["tastytrade"]?.unvalued.count == 1)
        let times = published["tastytrade"]?.times
        await portfolio.setLive("tastytrade", false)
        #expect(published["tastytrade"]?.times == times)
    }
}

@Suite("Portfolio: a live broker's entered positions")
struct PortfolioLiveEnteredTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-entered-\(UUID().uuidString).sqlite").path

    /// The link reports the synced account; a manual position in another account of the same broker stays in view,
    /// in every publication, whichever comes first.
    @Test func aLiveLinksReportsCarryTheBrokersOtherAccountsEnteredPositions() async throws {
        let store = try PositionStore(path: path)
        let published = PortfolioLiveBrokersTests.Published()
        let portfolio = PortfolioService(store: store, liveBrokers: ["ibkr", "tastytrade"]) { published.set($0, $1, $2) }
        try await store.createAccount(broker: "tastytrade", accountId: "5WT1")
        _ = try await store.insertManual(PositionDraft(symbol: "IBM", quantity: 10, averageCost: 180), broker: "tastytrade", accountId: "5WT1")
        await portfolio.syncBroker("tastytrade", origin: .tastytrade, account: "5WT00001", PortfolioLiveBrokersTests.reported)
        await portfolio.publishStored()
        // IBKR's link publishes to the server itself: the portfolio never speaks for it while it is live.
        #expect(published["ibkr"] == nil)

        let live = [Holding(broker: "tastytrade", account: "5WT00001", instrument: .stock("AAPL"), quantity: 101, averageCost: 180)]
        let future = UnvaluedHolding(broker: "tastytrade", account: "5WT00001", symbol: "/ESZ6", secType: "Future", quantity: 1, reason: "no futures")
        portfolio.publishLive("tastytrade", live, unvalued: [future])
        var seen = try #require(published["tastytrade"])
        #expect(seen.holdings.map { "\($0.account):\($0.instrument.symbol):\($0.quantity)" }.sorted() == ["5WT00001:AAPL:101.0", "5WT1:IBM:10.0"])
        #expect(seen.unvalued == [future])

        // A manual edit publishes the link's latest with it, never the database's copy of the synced rows.
        _ = try await store.insertManual(PositionDraft(symbol: "MSFT", quantity: 1, averageCost: 300), broker: "tastytrade", accountId: "5WT1")
        await portfolio.publishStored()
        seen = try #require(published["tastytrade"])
        #expect(seen.holdings.map(\.instrument.symbol).sorted() == ["AAPL", "IBM", "MSFT"] && seen.holdings.contains { $0.quantity == 101 })
    }
}
