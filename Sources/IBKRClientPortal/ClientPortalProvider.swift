import IBKR
import Logging
import NIOCore
import NIOPosix
import TickhubCore

/// IBKR through the Client Portal gateway: the same events as TWS's provider (quotes, symbol states, the link's
/// status, positions, account values, P&L) from the gateway's REST endpoints and its WebSocket, for users who run
/// the gateway rather than TWS or IB Gateway.
///
/// The session is kept from `start()` to `stop()`; a gateway that is not logged in leaves the link down with a
/// status telling the user to log in at the gateway's URL (the hub cannot do IBKR's two-factor login).
/// Historical bars come from `/iserver/marketdata/history` (`GatewayHistory`), and a followed series' newest bars
/// are read from there again every few seconds, as the gateway streams no bars.
public final class ClientPortalProvider: IBKRTransport {
    public let configuration: IBKRConfiguration
    public var kind: IBKRTransportKind { .clientPortal }
    private let client: GatewayClient
    private let session: ClientPortalSession
    private let history: GatewayHistory

    /// Throws when the settings cannot work (a pinned certificate that cannot be read).
    public init(configuration: IBKRConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tickhub.ibkr.clientportal")) throws {
        self.configuration = configuration
        client = try GatewayClient(host: configuration.host, port: configuration.port, settings: configuration.clientPortal, group: group)
        session = ClientPortalSession(configuration: configuration, client: client, loop: group.next(), logger: logger)
        history = GatewayHistory(client: client, timeoutSeconds: configuration.historicalTimeoutSeconds)
    }

    public func start() async { await session.start() }

    public func stop() async {
        history.stopAll()
        await session.shutdown()
        await client.shutdown()
    }

    public func connect() async { await session.connect() }
    public func disconnect() async { await session.disconnect() }
    public func subscribe(_ instruments: [Instrument]) async { await session.subscribe(instruments) }
    public func unsubscribe(_ symbols: [String]) async { await session.unsubscribe(symbols) }
    public func prioritize(_ symbols: [String]) async { await session.prioritize(symbols) }
    public func addListener(_ listener: @escaping @Sendable (IBKREvent) -> Void) async { await session.addListener(listener) }
    public func status() async -> BrokerConnectionStatus { await session.status() }
    public func quote(_ symbol: String) async -> Quote? { await session.quote(symbol) }
    public func symbolStatus(_ symbol: String) async -> IBKRSymbolStatus? { await session.symbolStatus(symbol) }
    public func positions() async -> [IBKRPosition] { await session.positions() }
    public func accountValues() async -> [AccountBalance] { await session.accountValues() }
    public func accountPnL() async -> IBKRAccountPnL? { await session.accountPnL() }

    public func historicalBars(_ request: BarRequest) async throws(IBKRHistoryError) -> [Bar] {
        guard request.from < request.to else {
            throw .invalidRequest("the span's start (\(request.from)) is not before its end (\(request.to))")
        }
        try await sessionUp()
        let conid: Int?
        do {
            conid = try await session.conid(for: request.instrument)
        } catch {
            throw GatewayHistory.historyError(error)
        }
        // As TWS's 200: the next provider may know the symbol.
        guard let conid else { throw .refused(code: 200, message: "No security definition has been found for the request") }
        return try await history.bars(request, conid: conid, now: WallClock.system.now().milliseconds)
    }

    /// Returns once the brokerage session is up; a chart asked for while it is being opened (the hub just started,
    /// or Connect was pressed) waits up to the connect timeout for it. Down or waiting to retry: `.disconnected`
    /// at once, so the next provider serves the chart.
    private func sessionUp() async throws(IBKRHistoryError) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.connectTimeoutSeconds * 1000))
        switch await session.stateOnceOpened(by: deadline) {
        case .ready, .degraded: return
        default: throw .disconnected
        }
    }

    /// Nil for a contract the gateway is known not to have, so that another provider may follow it.
    public func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? {
        if case .ready = await session.status().state {
            do {
                if try await session.conid(for: instrument) == nil { return nil }
            } catch {
                // Not known either way yet: followed, and looked up again on each read.
            }
        }
        return history.follow(instrument, interval: interval, conid: { [session] in
            switch await session.status().state {
            case .ready, .degraded: return try? await session.conid(for: instrument)
            default: return nil
            }
        }, onBar: onBar)
    }

    public func stopFollowingBars(_ id: Int) async { history.stopFollowing(id) }
}
