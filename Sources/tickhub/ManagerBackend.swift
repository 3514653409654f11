import IBKR
import MarketData
import TickhubCore
import TickhubServer

/// The server's backend: symbols go to the provider manager, which picks a source per symbol;
/// IBKR control goes to the IBKR provider.
struct ManagerBackend: HubBackend {
    let manager: DataProviderManager
    let ibkr: IBKRProvider

    func subscribe(_ instruments: [Instrument]) async { manager.subscribe(instruments) }
    func unsubscribe(_ symbols: [String]) async { manager.unsubscribe(symbols) }
    func ibkrStatus() async -> IBKRStatus? { await ibkr.status() }
    func setIBKRConnected(_ connected: Bool) async {
        if connected { await ibkr.connect() } else { await ibkr.disconnect() }
    }

    /// What the manager reports, turned into what the server publishes.
    static func forward(_ event: ManagerEvent, to server: TickhubServer) {
        switch event {
        case let .quote(quote): server.publish(quote)
        case let .sourceChanged(symbol, from, to, reason):
            server.publishSourceChange(symbol: symbol, from: from, to: to, reason: reason)
            if to == nil { server.publishAvailability(symbol, .unavailable(reason)) }
        case let .unknownSymbol(symbol): server.publishAvailability(symbol, .unknown)
        case let .health(reports): server.publishProviderHealth(reports)
        }
    }

    /// Keeps the server's IBKR status current: on every state change, and every two seconds for the figures
    /// (lines in use, message rates) that change without one.
    func reportIBKRStatus(to server: TickhubServer) async {
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
