import IBKR
import TickhubCore
import TickhubServer

/// The server's backend when IBKR is the only source: subscriptions go to the provider, its events to the server.
struct IBKRBackend: HubBackend {
    let provider: IBKRProvider

    func subscribe(_ instruments: [Instrument]) async { await provider.subscribe(instruments) }
    func unsubscribe(_ symbols: [String]) async { await provider.unsubscribe(symbols) }
    func ibkrStatus() async -> IBKRStatus? { await provider.status() }
    func setIBKRConnected(_ connected: Bool) async {
        if connected { await provider.connect() } else { await provider.disconnect() }
    }

    /// Wires the provider's events into the server.
    func connect(to server: TickhubServer) async {
        await provider.addListener { event in
            switch event {
            case let .quote(quote): server.publish(quote)
            case let .symbolStatus(symbol, status): server.publishAvailability(symbol, Self.availability(status))
            case let .connection(status): server.publishIBKRStatus(status)
            default: break
            }
        }
        server.publishIBKRStatus(await provider.status())
        // Lines in use and message rates change without a state change; refresh them every two seconds.
        let provider = provider
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                server.publishIBKRStatus(await provider.status())
            }
        }
    }

    static func availability(_ status: IBKRSymbolStatus) -> SymbolAvailability {
        switch status {
        case .pending, .streaming: .available
        case .overBudget: .unavailable("over the IBKR market-data line budget")
        case .ended(.unknownContract): .unknown
        case .ended(.notEntitled): .unavailable("the IBKR account is not entitled to its market data")
        case .ended(.delayedNotEnabled): .unavailable("not entitled, and delayed data is not enabled")
        case .ended(.invalidRequest): .unavailable("IBKR refused the request")
        }
    }
}
