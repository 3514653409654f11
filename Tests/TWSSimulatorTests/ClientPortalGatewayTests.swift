import ClientPortal
import Foundation
import NIOCore
import NIOSSL
import SimulatorTestSupport
import Testing
import TWSSimulator

/// The Client Portal gateway over real TLS on loopback: the session, contracts, snapshots, the portfolio, pacing.
@Suite("Client Portal gateway")
struct ClientPortalGatewayTests {
    @Test func sessionFlowThenAccountsBeforeMarketData() async throws {
        try await withClientPortal { cp in
            let status = try AuthStatus.decode(try await cp.get("/iserver/auth/status").data)
            #expect(status.authenticated && status.connected && !status.competing)
            #expect(try AuthStatus.decode(try await cp.post("/iserver/auth/status").data) == status)

            let tickle = try TickleAnswer.decode(try await cp.post("/tickle").data)
            #expect(tickle.session.count == 32)
            #expect(tickle.authStatus?.authenticated == true)

            // IBKR serves no market data before /iserver/accounts.
            let early = try await cp.get("/iserver/marketdata/snapshot?conids=265598&fields=31")
            #expect(early.status == 400, "body: \(early.body)")
            let accounts = try BrokerageAccounts.decode(try await cp.get("/iserver/accounts").data)
            #expect(accounts.accounts == ["DU1234567"])
            #expect(try await cp.get("/iserver/marketdata/snapshot?conids=265598&fields=31").status == 200)

            let opened = try await cp.post("/iserver/auth/ssodh/init", #"{"publish":true,"compete":true}"#)
            #expect(opened.status == 200 && opened.body.contains(#""authenticated":true"#), "body: \(opened.body)")
            #expect(try await cp.get("/no/such/endpoint").status == 404)
        }
    }

    @Test func contractsBySymbolAndStocks() async throws {
        try await withClientPortal { cp in
            let found = try ContractSearchResult.decodeList(try await cp.get("/iserver/secdef/search?symbol=aapl").data)
            #expect(ContractSearchResult.stockConid(for: "AAPL", in: found) == 265598)
            let posted = try await cp.post("/iserver/secdef/search", #"{"symbol":"MSFT"}"#)
            #expect(try ContractSearchResult.decodeList(posted.data).first?.conid == 272093)
            #expect(try await cp.get("/iserver/secdef/search?symbol=NOPE").body == "[]")
            let stocks = try StockListing.decode(try await cp.get("/trsrv/stocks?symbols=AAPL,EUR.USD").data)
            #expect(StockListing.usStockConid(in: stocks["AAPL"] ?? []) == 265598)
            #expect(stocks["EUR.USD"] == nil)
        }
    }

    @Test func firstSnapshotPrimesThenValuesAreFormattedStrings() async throws {
        try await withClientPortal { cp in
            _ = try await cp.get("/iserver/accounts")
            let path = "/iserver/marketdata/snapshot?conids=265598,12087792&fields=31,84,86,88,85,7059,87,7762,70,71,7295,7741,82,83,6509"
            let first = try MarketDataUpdate.decodeSnapshot(try await cp.get(path).data)
            #expect(first.updates.count == 2 && first.updates.allSatisfy(\.isPriming), "\(first)")

            let second = try await cp.get(path)
            let rows = try MarketDataUpdate.decodeSnapshot(second.data).updates
            let aapl = try #require(rows.first { $0.conid == 265598 })
            #expect(!aapl.isPriming)
            #expect(aapl.availability?.code == "RpB")
            let bid = try #require(aapl.values[.bid] ?? nil).value
            let ask = try #require(aapl.values[.ask] ?? nil).value
            #expect(bid < ask)
            let last = try #require(aapl.values[.last] ?? nil)
            #expect(!last.isPriorClose && last.value >= bid - 1 && last.value <= ask + 1)
            #expect(try #require(aapl.values[.volume] ?? nil).isApproximate, "volume is abbreviated: \(second.body)")
            let exact = try #require(aapl.values[.volumeLong] ?? nil).value
            #expect(exact >= 100 && exact == exact.rounded())
            // Sizes are grouped strings; a stock trades in lots of 100, so most are above a thousand.
            #expect(second.body.contains(#""88":""#) && second.body.contains(#""85":""#))
            let fx = try #require(rows.first { $0.conid == 12087792 })
            #expect(fx.values[.volume] == nil, "FX has no volume")
            let fxBid = try #require(fx.values[.bid] ?? nil).value
            #expect(fxBid > 0.5 && fxBid < 2)
            // EUR.USD prices carry five decimals, its tick's.
            #expect(second.body.range(of: #""84":"\d\.\d{5}""#, options: .regularExpression) != nil, "\(second.body)")

            let bad = try await cp.get("/iserver/marketdata/snapshot?conids=999999999&fields=31")
            #expect(bad.status == 400)
        }
    }

    @Test func aShutMarketShowsThePriorCloseMarkedAndFrozen() async throws {
        try await withClientPortal(simulator: { $0.clock = OpenMarket.sundayNoon }) { cp in
            _ = try await cp.get("/iserver/accounts")
            _ = try await cp.get("/iserver/marketdata/snapshot?conids=265598,479624278&fields=31,6509")
            let rows = try MarketDataUpdate.decodeSnapshot(
                try await cp.get("/iserver/marketdata/snapshot?conids=265598,479624278&fields=31,6509").data).updates
            let aapl = try #require(rows.first { $0.conid == 265598 })
            #expect(try #require(aapl.values[.last] ?? nil).isPriorClose)
            #expect(aapl.availability?.isFrozen == true)
            let bitcoin = try #require(rows.first { $0.conid == 479624278 })
            #expect(bitcoin.availability?.code == "RpB", "crypto trades on Sunday")
        }
    }

    @Test func entitlementsShowInAvailability() async throws {
        try await withClientPortal(simulator: {
            $0.delayedOnlySymbols = ["MSFT"]
            $0.unentitledSymbols = ["IBM"]
        }) { cp in
            _ = try await cp.get("/iserver/accounts")
            let path = "/iserver/marketdata/snapshot?conids=272093,8314&fields=31,84"
            _ = try await cp.get(path)
            let rows = try MarketDataUpdate.decodeSnapshot(try await cp.get(path).data).updates
            #expect(rows.first { $0.conid == 272093 }?.availability?.code == "DpB")
            let ibm = try #require(rows.first { $0.conid == 8314 })
            #expect(ibm.availability?.isSubscribed == false)
            #expect(ibm.values.isEmpty, "no values without a subscription")
        }
    }

    @Test func portfolioPositionsSummaryAndPnL() async throws {
        try await withClientPortal { cp in
            let accounts = try PortfolioAccount.decodeList(try await cp.get("/portfolio/accounts").data)
            #expect(accounts.map(\.accountId) == ["DU1234567"])
            let page = try PortfolioPosition.decodePage(try await cp.get("/portfolio/DU1234567/positions/0").data)
            #expect(page.refused.isEmpty)
            #expect(page.positions.count == 5)
            let apple = try #require(page.positions.first { $0.conid == 265598 })
            #expect(apple.quantity == 100 && apple.avgCost == 190.25)
            let option = try #require(page.positions.first { $0.assetClass == "OPT" })
            #expect(option.multiplier == 100 && option.avgCost == 1_050 && option.avgPrice == 10.5)
            #expect(try await cp.get("/portfolio/DU1234567/positions/1").body == "[]")
            #expect(try await cp.get("/portfolio/U999/positions/0").status == 400)

            let summary = try AccountSummary.decode(try await cp.get("/portfolio/DU1234567/summary").data)
            let cash = try #require(summary["totalcashvalue"]?.amount)
            #expect(cash == 250_000)
            #expect((summary["netliquidation"]?.amount ?? 0) > 0)

            let pnl = try PartitionedPnL.decode(try await cp.get("/iserver/account/pnl/partitioned").data)
            let row = try #require(pnl.first)
            #expect(row.account == "DU1234567" && row.model == "Core")
            #expect(row.netLiquidation == summary["netliquidation"]?.amount)
        }
    }

    @Test func aBurstOverTenASecondGets429AndThePenaltyBox() async throws {
        try await withClientPortal({
            $0.requestsPerSecond = 10
            $0.penaltySeconds = 1.5
        }, simulator: { _ in }) { cp in
            var statuses: [Int] = []
            for _ in 0..<14 { statuses.append(try await cp.get("/iserver/auth/status").status) }
            #expect(statuses.prefix(10).allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(statuses.contains(429), "\(statuses)")
            // In the box, every endpoint is refused.
            #expect(try await cp.get("/portfolio/accounts").status == 429)
            let status = try await cp.gateway.status()
            #expect(status.tooManyRequests >= 2 && status.penaltySeconds > 0)
            // Served its time, the client is heard again: wait out the box by its own clock.
            try await Task.sleep(for: .seconds(status.penaltySeconds + 0.1))
            #expect(try await cp.get("/iserver/auth/status").status == 200)
        }
    }

    @Test func perEndpointBudgets() async throws {
        try await withClientPortal({ $0.requestsPerSecond = 10 }, simulator: { _ in }) { (cp: ClientPortalHarness) async throws in
            #expect(try await cp.post("/tickle").status == 200)
            #expect(try await cp.post("/tickle").status == 429, "tickle is 1 a second")
        }
        try await withClientPortal({ $0.requestsPerSecond = 10 }, simulator: { _ in }) { (cp: ClientPortalHarness) async throws in
            #expect(try await cp.get("/portfolio/accounts").status == 200)
            #expect(try await cp.get("/portfolio/accounts").status == 429, "portfolio accounts is 1 in 5 seconds")
        }
    }

    @Test func aClientWithoutTheCertificateIsRefusedTheHandshake() async throws {
        try await withClientPortal { cp in
            var untrusting = TLSConfiguration.makeClientConfiguration()
            untrusting.trustRoots = .certificates([])
            do {
                _ = try await StreamTestClient.connect(port: cp.port, path: "/v1/api/ws", tls: untrusting, cookie: nil)
                Issue.record("a client that does not trust the certificate connected")
            } catch {
                // A TLS error, or the close that follows it: never an upgrade.
            }
        }
    }
}
