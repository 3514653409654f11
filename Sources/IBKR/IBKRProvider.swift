import Logging
import NIOCore
import NIOPosix
import TickhubCore

/// Live quotes, positions, account values and P&L from TWS or IB Gateway, surviving every disconnect.
///
/// Connects at `start()` and keeps reconnecting with backoff until `stop()`; resubscribes everything with fresh
/// request ids after a reconnect or 1101; checks streams resume after 1102; flags quotes stale while the link or
/// a farm is down. All state lives on one event loop; these methods hop onto it. Listeners are called on that
/// loop, in order, and must return quickly.
public final class IBKRProvider: IBKRTransport {
    public let configuration: IBKRConfiguration
    public var kind: IBKRTransportKind { .tws }
    private let loop: EventLoop
    private let session: NIOLoopBound<IBKRSession>
    private let ownedGroup: MultiThreadedEventLoopGroup?

    public init(configuration: IBKRConfiguration, eventLoop: EventLoop? = nil, logger: Logger = Logger(label: "tickhub.ibkr")) {
        self.configuration = configuration
        if let eventLoop {
            loop = eventLoop
            ownedGroup = nil
        } else {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            ownedGroup = group
            loop = group.next()
        }
        let loop = loop
        session = try! loop.submit {
            NIOLoopBound(IBKRSession(configuration: configuration, loop: loop, logger: logger), eventLoop: loop)
        }.wait()
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (IBKRSession) -> T) async -> T {
        let session = session
        return try! await loop.submit { body(session.value) }.get()
    }

    /// Begins connecting, unless the configuration says to wait for `connect()`.
    public func start() async {
        await onLoop { $0.start() }
    }

    /// Disconnects and releases the provider's thread.
    public func stop() async {
        await onLoop { $0.shutdown() }
        try? await ownedGroup?.shutdownGracefully()
    }

    /// Connects now (cancelling any backoff wait).
    public func connect() async { await onLoop { $0.handle(.start) } }

    /// Disconnects and stays disconnected until `connect()`.
    public func disconnect() async { await onLoop { $0.handle(.stop) } }

    public func subscribe(_ instruments: [Instrument]) async {
        await onLoop { $0.subscribe(instruments) }
    }

    public func unsubscribe(_ symbols: [String]) async {
        await onLoop { $0.unsubscribe(symbols) }
    }

    /// Lines go to these symbols in this order; one holding a line that a better-ranked symbol needs gives it up.
    public func prioritize(_ symbols: [String]) async {
        await onLoop { $0.prioritize(symbols) }
    }

    /// Adds a listener for every event from now on; it is called on the provider's event loop.
    public func addListener(_ listener: @escaping @Sendable (IBKREvent) -> Void) async {
        await onLoop { $0.listeners.append(listener) }
    }

    public func status() async -> BrokerConnectionStatus { await onLoop { $0.status() } }

    public func quote(_ symbol: String) async -> Quote? { await onLoop { $0.symbols[symbol]?.quote } }

    public func symbolStatus(_ symbol: String) async -> IBKRSymbolStatus? { await onLoop { $0.symbols[symbol]?.status } }

    public func positions() async -> [IBKRPosition] { await onLoop { $0.positionSnapshot() } }

    public func accountValues() async -> [AccountBalance] {
        await onLoop { Array($0.accountValues.values) }
    }

    public func accountPnL() async -> IBKRAccountPnL? { await onLoop { $0.accountPnL } }

    // MARK: Historical bars

    /// The bars of `request` (those starting in its `[from, to)`), oldest first, from TWS's historical data.
    /// Requests wait their turn under IBKR's historical pacing; an identical one already asked shares its answer.
    public func historicalBars(_ request: BarRequest) async throws(IBKRHistoryError) -> [Bar] {
        let session = session
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[Bar], IBKRHistoryError>, Never>) in
            loop.execute {
                session.value.fetchBars(request) { continuation.resume(returning: $0) }
            }
        }
        return try result.get()
    }

    /// Follows the forming bar of `instrument` at `interval` (TWS's keepUpToDate): `onBar` gets the newest bars at
    /// once, then each update of the forming bar; a bar with a later time means the one before is complete.
    /// Resumes by itself after a reconnect, with the bars missed meanwhile. Nil when IBKR's limit of open
    /// historical requests leaves no room for another series. Called on the provider's event loop.
    public func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? {
        await onLoop { $0.followBars(instrument, interval: interval, onBar: onBar) }
    }

    /// Stops the updates `followBars` started; the TWS request is cancelled once no one follows the series.
    public func stopFollowingBars(_ id: Int) async {
        await onLoop { $0.stopFollowingBars(id) }
    }
}
