import ClientPortal
import Foundation
import IBKR
@testable import IBKRClientPortal
import Testing
import TickhubCore

/// Positions of every asset class from `/portfolio/{acct}/positions`: those the hub can value get their instrument,
/// the rest keep IBKR's own figures.
@Suite("Client Portal positions")
struct GatewayPositionTests {
    static let recording = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/clientportal/portfolio_positions_asset_classes.json")

    @Test func forexPairsAndCoinsAreValuedOtherKindsKeepIBKRsFigures() throws {
        let page = try PortfolioPosition.decodePage(try Data(contentsOf: Self.recording))
        let positions = page.positions.map(ClientPortalSession.position)
        #expect(positions.map { $0.instrument?.symbol } == ["EUR.USD", "USD.JPY", "BTC", nil, nil])
        #expect(positions[0].instrument?.securityType == .forex && positions[0].quantity == 20_000)
        #expect(positions[1].instrument?.currency == "JPY")
        #expect(positions[2].instrument?.securityType == .crypto && positions[2].quantity == 0.5)
        let future = positions[3]
        #expect(future.conId == 495512557 && future.marketValue == 294512.5 && future.unrealizedPnL == 1512.5)
    }

    @Test func aCashRowWithOnlyItsTickerIsThePairWithItsCurrency() {
        var row = PortfolioPosition(accountId: "DU1", conid: 12087792, contractDesc: "", quantity: 1000)
        row.assetClass = "CASH"
        row.ticker = "EUR"
        row.currency = "USD"
        #expect(ClientPortalSession.position(row).instrument == .forex(base: "EUR", quote: "USD"))
        // A coin the grammar does not know, or one quoted in another currency, is not valued by the hub.
        var coin = PortfolioPosition(accountId: "DU1", conid: 1, contractDesc: "DOGE", quantity: 5)
        coin.assetClass = "CRYPTO"
        coin.ticker = "DOGE"
        #expect(ClientPortalSession.position(coin).instrument == nil)
        coin.ticker = "BTC"
        coin.currency = "EUR"
        #expect(ClientPortalSession.position(coin).instrument == nil)
    }
}
