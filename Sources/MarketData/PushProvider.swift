import Foundation
import Synchronization
import TickhubCore

/// Quotes pushed into Tickhub by publishers (a bot, another broker's streamer) over `/publish` or
/// `POST /api/market-data/publish`: one more source the manager can pick per symbol, at its place in
/// `providers.order`.
///
/// A pushed quote is live only while someone vouches for it: the WebSocket publisher that last sent it is
/// still connected, or, for quotes posted over HTTP (no connection to watch), it is younger than
/// `staleSeconds`. Otherwise the symbol is reported unavailable here, and the manager fails over or marks the
/// last quote stale, so a feed that died is never shown as live.
public final class PushProvider: MarketDataProvider, Sendable {
    enum Origin: Equatable {
        case connection(Int)
        case http(at: Int64)
    }

    public let name: QuoteSource = .push
    public let configuration: Configuration
    private let events = ProviderEvents()
    private let state = Mutex(State())

    struct State {
        var latest: [String: Quote] = [:]
        var origins: [String: Origin] = [:]
        var wanted: Set<String> = []
        /// Wanted symbols the manager has been told are served here.
        var serving: Set<String> = []
        var publishers: Set<Int> = []
        var lastHTTPPublish: Int64 = 0
        var watcher: Task<Void, Never>?
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func start(_ sink: @escaping @Sendable (ProviderEvent) -> Void) async {
        events.connect(sink)
        state.withLock { events.report(health(now: Self.nowMicros(), in: $0)) }
        guard configuration.enabled else { return }
        let watcher = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                self?.expire()
            }
        }
        state.withLock { $0.watcher = watcher }
    }

    public func stop() async {
        state.withLock { $0.watcher }?.cancel()
    }

    public func subscribe(_ instruments: [Instrument]) async {
        let now = Self.nowMicros()
        var out: [ProviderEvent] = []
        state.withLock { state in
            for instrument in instruments {
                let symbol = instrument.symbol
                state.wanted.insert(symbol)
                if let quote = state.latest[symbol], isLive(symbol, now: now, in: state) {
                    state.serving.insert(symbol)
                    out.append(.symbol(symbol, .serving))
                    out.append(.quote(quote))
                } else {
                    out.append(.symbol(symbol, .unavailable(configuration.enabled ? "no publisher is sending it" : "publishing is disabled")))
                }
            }
            // Emitted under the lock so that what the manager hears stays in the order it happened here.
            out.forEach(events.emit)
        }
    }

    public func unsubscribe(_ symbols: [String]) async {
        state.withLock { state in
            for symbol in symbols {
                state.wanted.remove(symbol)
                state.serving.remove(symbol)
            }
        }
    }

    // MARK: From the server

    /// Updates a publisher sent; `publisher` is its connection, nil for an HTTP post.
    /// Returns the patches refused because the quote they would make has a `bookProblem` (checked in order, each
    /// against what came before it); the others are taken.
    @discardableResult
    public func ingest(_ patches: [QuotePatch], publisher: Int?, receivedAt: Timestamp) -> [RefusedPatch] {
        let origin: Origin = publisher.map { .connection($0) } ?? .http(at: receivedAt.microseconds)
        return state.withLock { state in
            var out: [ProviderEvent] = []
            var refused: [RefusedPatch] = []
            if publisher == nil { state.lastHTTPPublish = receivedAt.microseconds }
            if state.latest.count + patches.count > configuration.maximumSymbols { state.forgetUnwanted() }
            for (position, patch) in patches.enumerated() {
                let quote = patch.applied(to: state.latest[patch.symbol], receivedAt: receivedAt)
                if let problem = quote.bookProblem {
                    refused.append(RefusedPatch(position: position, reason: "\(patch.symbol): \(problem)"))
                    continue
                }
                state.latest[patch.symbol] = quote
                state.origins[patch.symbol] = origin
                guard state.wanted.contains(patch.symbol) else { continue }
                if state.serving.insert(patch.symbol).inserted { out.append(.symbol(patch.symbol, .serving)) }
                out.append(.quote(quote))
            }
            if publisher == nil { events.report(health(now: receivedAt.microseconds, in: state)) }
            out.forEach(events.emit)
            return refused
        }
    }

    public func publisherConnected(_ id: Int) {
        state.withLock { state in
            state.publishers.insert(id)
            events.report(health(now: Self.nowMicros(), in: state))
        }
    }

    /// Its symbols stop being live at once, not at the next check.
    public func publisherDisconnected(_ id: Int) {
        state.withLock { _ = $0.publishers.remove(id) }
        expire()
    }

    // MARK: Liveness

    private func isLive(_ symbol: String, now: Int64, in state: State) -> Bool {
        switch state.origins[symbol] {
        case let .connection(id)?: state.publishers.contains(id)
        case let .http(at)?: now - at <= Int64(configuration.staleSeconds * 1_000_000)
        case nil: false
        }
    }

    /// Reports symbols whose publisher is gone or whose last post is too old.
    func expire() {
        let now = Self.nowMicros()
        state.withLock { state in
            var out: [ProviderEvent] = []
            for symbol in state.serving where !isLive(symbol, now: now, in: state) {
                state.serving.remove(symbol)
                let why = if case .connection = state.origins[symbol] { "its publisher disconnected" } else {
                    "no update posted for \(configuration.staleSeconds.formatted(.number.precision(.fractionLength(0...1)))) s"
                }
                out.append(.symbol(symbol, .unavailable(why)))
            }
            events.report(health(now: now, in: state))
            out.forEach(events.emit)
        }
    }

    /// What the provider reports of itself, from the state the lock holds.
    func health(now: Int64, in state: State) -> ProviderHealth {
        guard configuration.enabled else {
            return ProviderHealth(name: .push, state: .disabled, detail: "set TICKHUB_PUBLISH_TOKEN to accept publishers", available: false)
        }
        let connected = state.publishers.count
        let recentHTTP = state.lastHTTPPublish > 0 && now - state.lastHTTPPublish <= Int64(configuration.staleSeconds * 1_000_000)
        guard connected > 0 || recentHTTP else {
            return ProviderHealth(name: .push, state: .idle, detail: "no publisher connected", available: false)
        }
        let detail = connected == 1 ? "1 publisher connected" : "\(connected) publishers connected"
        return ProviderHealth(name: .push, state: .ready, detail: connected > 0 ? detail : "quotes posted over HTTP", available: true)
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}

extension PushProvider.State {
    /// Makes room when the symbols kept reach the limit: quotes nobody wants can go.
    mutating func forgetUnwanted() {
        for symbol in latest.keys where !wanted.contains(symbol) {
            latest[symbol] = nil
            origins[symbol] = nil
        }
    }
}
