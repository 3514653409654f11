import Alerts
import Charts
import Hub
import LwsHost
import MarketData
import TickhubCore

/// The hub's upstream: symbols go to the provider manager, which picks a source per symbol; pushed quotes go to
/// the push provider, which the manager treats like any other source.
struct ProviderUpstream: MarketDataUpstream {
    let manager: DataProviderManager
    let pushed: PushProvider

    func subscribe(_ instruments: [Instrument]) async { manager.subscribe(instruments) }
    func unsubscribe(_ symbols: [String]) async { manager.unsubscribe(symbols) }
    func prioritize(_ symbols: [String]) async { await manager.prioritize(symbols) }

    func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Timestamp) -> [RefusedPatch] {
        pushed.ingest(patches, publisher: publisher, receivedAt: receivedAt)
    }

    func publisher(_ id: Int, connected: Bool) {
        if connected { pushed.publisherConnected(id) } else { pushed.publisherDisconnected(id) }
    }

    /// What the manager reports, turned into what the server publishes; every quote is also the alerts' to judge
    /// and the charts' to take into their forming candles.
    static func forward(_ event: ManagerEvent, to server: TickhubServer, alerts: AlertDesk? = nil, charts: ChartDesk? = nil) {
        switch event {
        case let .quote(quote):
            server.publish(quote)
            alerts?.observe(quote)
            charts?.observe(quote)
        case let .sourceChanged(symbol, from, to, reason):
            server.publishSourceChange(symbol: symbol, from: from, to: to, reason: reason)
            if to == nil { server.publishAvailability(symbol, .unavailable(reason)) }
        case let .unknownSymbol(symbol): server.publishAvailability(symbol, .unknown)
        case let .health(reports): server.publishProviderHealth(reports)
        }
    }
}
