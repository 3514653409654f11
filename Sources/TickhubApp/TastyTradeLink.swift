import LwsHost
import Portfolio
import Store
import Synchronization
import TastyTrade
import TastyTradeBroker
import TickhubCore

/// TastyTrade as the rest of Tickhub sees it: the sync's positions to the portfolio (which publishes them with the
/// broker's hand-entered accounts, every account at once, and keeps them in the database account by account), its
/// balances to the server, and where the sync stands.
final class TastyTradeLink: Sendable {
    let sync: TastyTradeSync
    private let latest = Mutex(Latest())
    /// The portfolio's work, one step at a time and in the order the sync reported: a later set of positions never
    /// lands before an earlier one, and the positions are shown before they are written.
    private let steps: AsyncStream<Step>.Continuation
    private let queue: AsyncStream<Step>

    private enum Step {
        case live(Bool)
        case show([Holding], [UnvaluedHolding])
        case keep(account: String, [BrokerPosition])
    }

    private struct Latest {
        var positions: [String: [TastyPosition]] = [:]
        var balances: [String: TastyBalance] = [:]
        /// Whether the portfolio takes the broker's positions from the sync (else from the database).
        var live = true
    }

    init(sync: TastyTradeSync) {
        self.sync = sync
        (queue, steps) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    func start(server: TickhubServer, portfolio: PortfolioService) async {
        let broker = TastyTradeSync.broker
        await portfolio.setLive(broker, true)
        let queue = queue
        Task {
            for await step in queue {
                switch step {
                case let .live(isLive): await portfolio.setLive(broker, isLive)
                case let .show(valued, unvalued): portfolio.publishLive(broker, valued, unvalued: unvalued)
                case let .keep(account, positions): await portfolio.syncBroker(broker, origin: .tastytrade, account: account, positions)
                }
            }
        }
        sync.start { [self] event in
            switch event {
            case let .positions(account, positions):
                let (all, wasLive) = latest.withLock { state in
                    state.positions[account] = positions
                    defer { state.live = true }
                    return (state.positions.keys.sorted().flatMap { state.positions[$0] ?? [] }, state.live)
                }
                if !wasLive { steps.yield(.live(true)) }
                let mapped = TastyTradeHoldings.map(all, broker: broker)
                steps.yield(.show(mapped.valued, mapped.unvalued))
                steps.yield(.keep(account: account, positions.map(TastyTradeHoldings.brokerPosition)))
            case let .balances(account, balance):
                let all = latest.withLock { state in
                    state.balances[account] = balance
                    return state.balances.keys.sorted().compactMap { state.balances[$0] }
                }
                server.publishBalances(broker: broker, all.flatMap(TastyTradeHoldings.accountBalances))
            case let .status(status):
                // A sync that fails before its first positions (a grant revoked while the hub was down) leaves the
                // positions last synced, from the database, on show beside its error rather than none.
                let fallBack = latest.withLock { state in
                    guard state.live, state.positions.isEmpty, status.state == .error || status.state == .off else { return false }
                    state.live = false
                    return true
                }
                if fallBack { steps.yield(.live(false)) }
                server.publishBrokerSync(status)
            }
        }
    }

    func stop() async {
        await sync.stopAndWait()
        steps.finish()
    }
}
