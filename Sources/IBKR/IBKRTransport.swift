import TickhubCore

/// The way Tickhub reaches IBKR: TWS's socket protocol (TWS or IB Gateway) or the Client Portal gateway's REST
/// and WebSocket API. Chosen by `ibkr.transport`; the value `BrokerConnectionStatus.transport` carries.
public enum IBKRTransportKind: String, Sendable, CaseIterable {
    case tws
    case clientPortal = "clientportal"
}

/// What the rest of Tickhub uses of an IBKR connection, whichever transport carries it: the market-data provider,
/// the hub's connection control and the portfolio see only this. `IBKRProvider` (TWS) and the Client Portal
/// provider conform; each keeps its own connection alive by itself from `start()` to `stop()`.
///
/// Listeners are called on the transport's own thread, in the order things happened, and must return quickly.
public protocol IBKRTransport: Sendable {
    var kind: IBKRTransportKind { get }

    /// Begins connecting, unless the configuration says to wait for `connect()`.
    func start() async
    /// Disconnects and releases the transport's threads.
    func stop() async
    /// Connects now (cancelling any backoff wait).
    func connect() async
    /// Disconnects and stays disconnected until `connect()`.
    func disconnect() async

    func subscribe(_ instruments: [Instrument]) async
    func unsubscribe(_ symbols: [String]) async
    /// Lines go to these symbols in this order; one holding a line that a better-ranked symbol needs gives it up.
    func prioritize(_ symbols: [String]) async

    /// Adds a listener for every event from now on.
    func addListener(_ listener: @escaping @Sendable (IBKREvent) -> Void) async

    func status() async -> BrokerConnectionStatus
    func quote(_ symbol: String) async -> Quote?
    func symbolStatus(_ symbol: String) async -> IBKRSymbolStatus?
    func positions() async -> [IBKRPosition]
    func accountValues() async -> [AccountBalance]
    func accountPnL() async -> IBKRAccountPnL?

    /// The bars of `request` (those starting in its `[from, to)`), oldest first.
    func historicalBars(_ request: BarRequest) async throws(IBKRHistoryError) -> [Bar]
    /// Follows the forming bar of `instrument` at `interval`; nil when the transport cannot follow one.
    func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int?
    func stopFollowingBars(_ id: Int) async
}

extension IBKRTransport {
    /// Every event from now on, as a stream (for tests and simple consumers).
    public func events() async -> AsyncStream<IBKREvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: IBKREvent.self, bufferingPolicy: .bufferingNewest(100_000))
        await addListener { continuation.yield($0) }
        return stream
    }
}
