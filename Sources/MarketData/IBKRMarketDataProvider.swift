import IBKR
import TickhubCore

/// IBKR, over whichever transport reaches it, as one of the manager's sources.
public final class IBKRMarketDataProvider: MarketDataProvider {
    public let name: QuoteSource = .ibkr
    public let ibkr: any IBKRTransport

    public init(_ ibkr: any IBKRTransport) { self.ibkr = ibkr }

    public func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async {
        await ibkr.addListener { event in
            switch event {
            case let .quote(quote): sink(.quote(quote))
            case let .symbolStatus(symbol, status): sink(.symbol(symbol, Self.state(status)))
            case let .connection(status): sink(.health(Self.health(status)))
            default: break
            }
        }
        sink(.health(Self.health(await ibkr.status())))
        await ibkr.start()
    }

    public func subscribe(_ instruments: [Instrument]) async { await ibkr.subscribe(instruments) }
    public func unsubscribe(_ symbols: [String]) async { await ibkr.unsubscribe(symbols) }
    public func prioritize(_ symbols: [String]) async { await ibkr.prioritize(symbols) }
    public func stop() async { await ibkr.stop() }

    static func state(_ status: IBKRSymbolStatus) -> ProviderSymbolState {
        switch status {
        // A request sent is not a stream flowing: the manager counts IBKR as serving once quotes arrive.
        case .pending, .streaming: .pending
        case .overBudget: .unavailable("over the IBKR market-data line budget")
        case .ended(.unknownContract): .unknown
        case .ended(.notEntitled): .unavailable("the IBKR account is not entitled to its market data")
        case .ended(.delayedNotEnabled): .unavailable("not entitled at IBKR, and delayed data is not enabled")
        case .ended(.invalidRequest): .unavailable("IBKR refused the request")
        }
    }

    static func health(_ status: BrokerConnectionStatus) -> ProviderHealth {
        let detail: String?
        switch status.state {
        case let .degraded(reasons): detail = reasons.map(\.rawValue).sorted().joined(separator: ", ")
        case let .reconnecting(attempt, delay): detail = "attempt \(attempt), next in \(Int(delay.rounded())) s"
        default: detail = status.lastError
        }
        // TWS is the usual way in; the gateway is named, so that a user reading the health knows which to check.
        let via = status.transport == IBKRTransportKind.clientPortal.rawValue
            ? ["via the Client Portal gateway", detail].compactMap { $0 }.joined(separator: ": ") : detail
        // Degraded means quotes cannot be trusted: a fallback should serve until IBKR is ready again.
        return ProviderHealth(name: .ibkr, state: ProviderState(status.state), detail: via, available: status.state == .ready)
    }
}
