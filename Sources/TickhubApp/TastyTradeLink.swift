import LwsHost
import Portfolio
import Store
import Synchronization
import TastyTrade
import TastyTradeBroker
import TickhubCore

/// TastyTrade as the rest of Tickhub sees it: the sync's positions and balances to the server (which values them,
/// every account of the broker at once) and to the database (which keeps them, account by account, in the order
/// they came), and where the sync stands.
final class TastyTradeLink: Sendable {
    let sync: TastyTradeSync
    private let latest = Mutex(Latest())
    /// The database's writes, one at a time and in order: a later account set never lands before an earlier one.
    private let writes: AsyncStream<(account: String, positions: [BrokerPosition])>.Continuation
    private let writer: AsyncStream<(account: String, positions: [BrokerPosition])>

    private struct Latest {
        var positions: [String: [TastyPosition]] = [:]
        var balances: [String: TastyBalance] = [:]
    }

    init(sync: TastyTradeSync) {
        self.sync = sync
        (writer, writes) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Starts the sync; the broker's holdings come from it from now on, not from the database.
    func start(server: TickhubServer, portfolio: PortfolioService) async {
        let broker = TastyTradeSync.broker
        await portfolio.setLive(broker, true)
        let writer = writer
        Task {
            for await write in writer {
                await portfolio.syncBroker(broker, origin: .tastytrade, account: write.account, write.positions)
            }
        }
        sync.start { [self] event in
            switch event {
            case let .positions(account, positions):
                let all = self.latest.withLock { state in
                    state.positions[account] = positions
                    return state.positions.keys.sorted().flatMap { state.positions[$0] ?? [] }
                }
                let mapped = TastyTradeHoldings.map(all, broker: broker)
                // Through the portfolio, which adds the broker's hand-entered accounts the sync does not report.
                portfolio.publishLive(broker, mapped.valued, unvalued: mapped.unvalued)
                self.writes.yield((account, positions.map(TastyTradeHoldings.brokerPosition)))
            case let .balances(account, balance):
                let all = self.latest.withLock { state in
                    state.balances[account] = balance
                    return state.balances.keys.sorted().compactMap { state.balances[$0] }
                }
                server.publishBalances(broker: broker, all.flatMap(TastyTradeHoldings.accountBalances))
            case let .status(status):
                server.publishBrokerSync(status)
            }
        }
    }

    func stop() async {
        await sync.stopAndWait()
        writes.finish()
    }
}
