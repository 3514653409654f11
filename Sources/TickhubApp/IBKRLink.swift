import Hub
import IBKR
import LwsHost
import Portfolio
import Store
import TickhubCore

/// The IBKR connection as the rest of Tickhub sees it: the hub's connection control, and the source of IBKR's
/// positions and balances (valued by the hub, kept by the portfolio) and of the link's status.
struct IBKRLink: ConnectionControl {
    let ibkr: any IBKRTransport

    func status() async -> BrokerConnectionStatus? { await ibkr.status() }

    func setConnected(_ connected: Bool) async {
        if connected { await ibkr.connect() } else { await ibkr.disconnect() }
    }

    /// IBKR's positions and account values, to the server (which values them) and to the database (which keeps
    /// them): options' and futures' average cost comes per contract from IBKR, and IBKR's own unrealized P&L rides
    /// along for comparison.
    func reportPortfolio(to server: TickhubServer, keptBy portfolio: PortfolioService) async {
        await ibkr.addListener { event in
            switch event {
            case let .positions(positions):
                server.publishHoldings(broker: "ibkr", positions.compactMap(Self.holding))
                let byAccount = Dictionary(grouping: positions, by: \.account).mapValues { $0.compactMap(Self.reported) }
                Task { await portfolio.syncIBKR(byAccount) }
            case let .accountValues(values):
                server.publishBalances(broker: "ibkr", values)
            default: break
            }
        }
    }

    static func holding(_ position: IBKRPosition) -> Holding? {
        guard let instrument = position.instrument, position.quantity != 0 else { return nil }
        return Holding(
            broker: "ibkr", account: position.account, instrument: instrument, quantity: position.quantity,
            averageCost: position.averageCost, multiplier: position.multiplier, currency: position.currency,
            costIncludesMultiplier: position.costIncludesMultiplier, brokerUnrealizedPnL: position.unrealizedPnL)
    }

    /// The position as the database keeps it.
    static func reported(_ position: IBKRPosition) -> BrokerPosition? {
        guard let instrument = position.instrument else { return nil }
        return BrokerPosition(
            symbol: instrument.symbol, securityType: instrument.securityType, quantity: position.quantity,
            averageCost: position.averageCost, multiplier: position.multiplier, currency: position.currency,
            conId: Int64(position.conId), exchange: position.exchange)
    }

    /// Keeps the server's IBKR status current: on every state change, and every two seconds for the figures
    /// (lines in use, message rates) that change without one.
    func reportStatus(to server: TickhubServer) async {
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
