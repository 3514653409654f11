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
/// Historical bars are not served over this transport: charts fall back to the next provider.
public final class ClientPortalProvider: IBKRTransport {
    public let configuration: IBKRConfiguration
    public var kind: IBKRTransportKind { .clientPortal }
    private let client: GatewayClient
    private let session: ClientPortalSession

    /// Throws when the settings cannot work (a pinned certificate that cannot be read).
    public init(configuration: IBKRConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tickhub.ibkr.clientportal")) throws {
        self.configuration = configuration
        client = try GatewayClient(host: configuration.host, port: configuration.port, settings: configuration.clientPortal, group: group)
        session = ClientPortalSession(configuration: configuration, client: client, loop: group.next(), logger: logger)
    }

    public func start() async { await session.start() }

    public func stop() async {
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
        throw .refused(code: 0, message: "historical bars are not served over the Client Portal transport")
    }

    public func followBars(_ instrument: Instrument, interval: BarInterval, onBar: @escaping @Sendable (Bar) -> Void) async -> Int? { nil }

    public func stopFollowingBars(_ id: Int) async {}
}
