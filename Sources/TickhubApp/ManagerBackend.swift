import HubProtocol
import IBKR
import MarketData
import Portfolio
import TickhubCore
import Hub
import LwsHost

/// The server's backend: symbols go to the provider manager, which picks a source per symbol;
/// IBKR control goes to the IBKR provider.
public struct ManagerBackend: HubBackend {
    let manager: DataProviderManager
    let ibkr: IBKRProvider
    let pushed: PushProvider
    let portfolio: PortfolioService

    public init(manager: DataProviderManager, ibkr: IBKRProvider, pushed: PushProvider, portfolio: PortfolioService) {
        self.manager = manager
        self.ibkr = ibkr
        self.pushed = pushed
        self.portfolio = portfolio
    }

    public func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Int64) -> [RefusedPatch] {
        pushed.ingest(patches, publisher: publisher, receivedAt: receivedAt)
    }
    public func publisher(_ id: Int, connected: Bool) {
        if connected { pushed.publisherConnected(id) } else { pushed.publisherDisconnected(id) }
    }

    public func portfolio(_ request: HTTPRequest) async -> HTTPResponse { await portfolio.handle(request) }
    public func recordPnL(_ totals: [PnLRecord]) async -> String? { await portfolio.recordSnapshots(totals) }
    public func saveQuotes(_ quotes: [Quote]) async -> String? { await portfolio.saveQuotes(quotes) }

    public func subscribe(_ instruments: [Instrument]) async { manager.subscribe(instruments) }
    public func unsubscribe(_ symbols: [String]) async { manager.unsubscribe(symbols) }
    public func prioritize(_ symbols: [String]) async { await manager.prioritize(symbols) }
    public func ibkrStatus() async -> BrokerConnectionStatus? { await ibkr.status() }
    public func setIBKRConnected(_ connected: Bool) async {
        if connected { await ibkr.connect() } else { await ibkr.disconnect() }
    }

    /// What the manager reports, turned into what the server publishes.
    public static func forward(_ event: ManagerEvent, to server: TickhubServer) {
        switch event {
        case let .quote(quote): server.publish(quote)
        case let .sourceChanged(symbol, from, to, reason):
            server.publishSourceChange(symbol: symbol, from: from, to: to, reason: reason)
            if to == nil { server.publishAvailability(symbol, .unavailable(reason)) }
        case let .unknownSymbol(symbol): server.publishAvailability(symbol, .unknown)
        case let .health(reports): server.publishProviderHealth(reports)
        }
    }

    /// IBKR's positions and account values, as the server values them: options' and futures' average cost
    /// comes per contract from IBKR, and IBKR's own unrealized P&L rides along for comparison.
    public func reportPortfolio(to server: TickhubServer) async {
        await ibkr.addListener { event in
            switch event {
            case let .positions(positions):
                server.publishHoldings(broker: "ibkr", positions.compactMap(Self.holding))
                let portfolio = portfolio
                Task { await portfolio.syncIBKR(positions) }
            case let .accountValues(values):
                server.publishBalances(broker: "ibkr", values)
            default: break
            }
        }
    }

    public static func holding(_ position: IBKRPosition) -> Holding? {
        guard let instrument = position.instrument, position.quantity != 0 else { return nil }
        return Holding(
            broker: "ibkr", account: position.account, instrument: instrument, quantity: position.quantity,
            averageCost: position.averageCost, multiplier: position.multiplier, currency: position.currency,
            costIncludesMultiplier: position.costIncludesMultiplier, brokerUnrealizedPnL: position.unrealizedPnL)
    }

    /// Keeps the server's IBKR status current: on every state change, and every two seconds for the figures
    /// (lines in use, message rates) that change without one.
    public func reportIBKRStatus(to server: TickhubServer) async {
        await ibkr.addListener { event in
            if case let .connection(status) = event { server.publishIBKRStatus(status) }
        }
        server.publishIBKRStatus(await ibkr.status())
        let ibkr = ibkr
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                server.publishIBKRStatus(await ibkr.status())
            }
        }
    }
}
