import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import SimulatorTestSupport
import TWSSimulator
import TastyTrade
import TickhubCore

import MarketData
@testable import TastyTradeBroker

/// A simulated market with the simulated TastyTrade beside it, and a TastyTradeQuoteProvider whose quote tokens come
/// from the simulator's `/api-quote-tokens` through TastyTradeAPI, as the app's do. The provider is started; what it
/// reports is kept for the test.
struct DXLinkProviderHarness {
    let simulator: GatewaySimulator
    let tastyTrade: TastyTradeSimulator
    let provider: TastyTradeQuoteProvider
    let events: Mailbox<ProviderEvent>
    /// How many quote tokens the provider asked for.
    let tokensAsked: NIOLockedValueBox<Int>

    static func fast() -> TastyTradeQuoteProvider.Configuration {
        var configuration = TastyTradeQuoteProvider.Configuration()
        configuration.userAgent = "tickhub-tests/1.0"
        configuration.reconnectInitialSeconds = 0.2
        configuration.reconnectCapSeconds = 1
        configuration.connectTimeoutSeconds = 5
        return configuration
    }

    /// The first fresh quote for `symbol` from index `from` on that satisfies `matches`.
    @discardableResult
    func quote(
        _ symbol: String, from: Int = 0, stale: Bool = false, timeout: Duration = .seconds(10),
        where matches: @escaping @Sendable (Quote) -> Bool = { _ in true }
    ) async throws -> Quote {
        let arrival = try await events.first("\(stale ? "a stale" : "a fresh") quote for \(symbol)", from: from, timeout: timeout) {
            if case let .quote(quote) = $0 { quote.symbol == symbol && quote.stale == stale && matches(quote) } else { false }
        }
        guard case let .quote(quote) = arrival.item else { fatalError("matched a quote") }
        return quote
    }

    @discardableResult
    func health(
        _ state: ProviderState, from: Int = 0, timeout: Duration = .seconds(10),
        where matches: @escaping @Sendable (ProviderHealth) -> Bool = { _ in true }
    ) async throws -> ProviderHealth {
        let arrival = try await events.first("health \(state)", from: from, timeout: timeout) {
            if case let .health(health) = $0 { health.state == state && matches(health) } else { false }
        }
        guard case let .health(health) = arrival.item else { fatalError("matched a health report") }
        return health
    }
}

/// Runs `body` with a started provider against a fresh simulator, always stopping everything. `token` may stand in for
/// the quote-token call (the real one is handed to it).
func withDXLinkProvider(
    simulated: (inout TastyTradeSimulatorConfiguration) -> Void = { _ in },
    configure: (inout TastyTradeQuoteProvider.Configuration) -> Void = { _ in },
    token: (@Sendable (@escaping @Sendable () async throws -> DXLinkToken) async throws -> DXLinkToken)? = nil,
    _ body: (DXLinkProviderHarness) async throws -> Void
) async throws {
    try await withSimulatedTastyTrade(slots: simulatorSlots, ticksPerSecond: 200, simulated) { simulator, tastyTrade, port in
        var settings = TastyTradeConfiguration(version: "test")
        settings.baseURL = "http://127.0.0.1:\(port)"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = TastyTradeAPI(configuration: settings, credentials: TastyTradeSyncHarness.credentials, client: http, logger: Logger(label: "test"))
        let asked = NIOLockedValueBox(0)
        let real: @Sendable () async throws -> DXLinkToken = { try await api.quoteToken() }
        var configuration = DXLinkProviderHarness.fast()
        configure(&configuration)
        let provider = TastyTradeQuoteProvider(configuration: configuration, quoteToken: {
            asked.withLockedValue { $0 += 1 }
            if let token { return try await token(real) }
            return try await real()
        })
        let events = Mailbox<ProviderEvent>()
        await provider.start { events.put($0) }
        let harness = DXLinkProviderHarness(
            simulator: simulator, tastyTrade: tastyTrade, provider: provider, events: events, tokensAsked: asked)
        try await tearingDown({
            await provider.stop()
            try? await http.shutdown()
        }) {
            try await body(harness)
        }
    }
}
