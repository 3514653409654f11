import HubProtocol
import TickhubCore

/// Where the hub's quotes come from, as the hub sees it: the symbols clients want, followed upstream, and the
/// quotes publishers push. The app wires the provider manager and the push provider behind it.
public protocol MarketDataUpstream: Sendable {
    func subscribe(_ instruments: [Instrument]) async
    func unsubscribe(_ symbols: [String]) async
    /// Every symbol followed, best-ranked first: the order in which providers with a few lines give them out.
    func prioritize(_ symbols: [String]) async
    /// Updates a publisher pushed, already validated; `publisher` is its `/publish` connection, nil for an
    /// HTTP post. Called on the fan-out thread: must not block. Returns the
    /// patches refused against the quotes they would land on.
    func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Timestamp) -> [RefusedPatch]
    /// A `/publish` connection opened or closed: its quotes are live only while it is there.
    func publisher(_ id: Int, connected: Bool)
}

extension MarketDataUpstream {
    public func prioritize(_ symbols: [String]) async {}
    public func push(_ patches: [QuotePatch], publisher: Int?, receivedAt: Timestamp) -> [RefusedPatch] { [] }
    public func publisher(_ id: Int, connected: Bool) {}
}

