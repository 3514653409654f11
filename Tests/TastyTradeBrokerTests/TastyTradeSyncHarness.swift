import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import SimulatorTestSupport
import TWSSimulator
import TastyTrade
import TickhubCore

@testable import TastyTradeBroker

let simulatorSlots = SimulatorSlots(limit: 3)

/// A simulated TWS market with the simulated TastyTrade beside it on a free loopback port, and a TastyTradeSync
/// pointed at it with the demo grant; what the sync tells its sink and writes to its log is kept for the test.
struct TastyTradeSyncHarness {
    let simulator: GatewaySimulator
    let tastyTrade: TastyTradeSimulator
    let port: Int
    let http: HTTPClient
    let sync: TastyTradeSync
    let events: Mailbox<TastyTradeSyncEvent>
    let log: LogCapture

    static let credentials = TastyTradeCredentials(
        clientID: TastyTradeSimulatorConfiguration.demoClientID, clientSecret: TastyTradeSimulatorConfiguration.demoClientSecret,
        refreshToken: TastyTradeSimulatorConfiguration.demoRefreshToken)

    /// The first status in `state` from event index `from` on.
    @discardableResult
    func status(_ state: BrokerSyncStatus.State, from: Int = 0, timeout: Duration = .seconds(15)) async throws -> BrokerSyncStatus {
        let arrival = try await events.first("status \(state)", from: from, timeout: timeout) {
            if case let .status(status) = $0 { status.state == state } else { false }
        }
        guard case let .status(status) = arrival.item else { fatalError("matched a status") }
        return status
    }

    var statuses: [BrokerSyncStatus] {
        events.items.compactMap { if case let .status(status) = $0 { status } else { nil } }
    }

    /// The first positions event of `account` from index `from` on whose set satisfies `matches`.
    @discardableResult
    func positions(
        _ account: String, from: Int = 0, timeout: Duration = .seconds(10), _ what: String,
        where matches: @escaping @Sendable ([TastyPosition]) -> Bool
    ) async throws -> Mailbox<TastyTradeSyncEvent>.Arrival {
        try await events.first("\(account) positions: \(what)", from: from, timeout: timeout) {
            if case let .positions(name, set) = $0 { name == account && matches(set) } else { false }
        }
    }
}

/// Runs `body` against a fresh simulator, simulated TastyTrade and sync (not started), always stopping all three.
func withTastyTradeSync(
    simulated: (inout TastyTradeSimulatorConfiguration) -> Void = { _ in },
    settings: (inout TastyTradeConfiguration) -> Void = { _ in },
    _ body: (TastyTradeSyncHarness) async throws -> Void
) async throws {
    try await withSimulatedTastyTrade(slots: simulatorSlots, ticksPerSecond: 200, simulated) { simulator, tastyTrade, port in
        var configuration = TastyTradeConfiguration(version: "test")
        configuration.baseURL = "http://127.0.0.1:\(port)"
        configuration.streamerURL = "ws://127.0.0.1:\(port)/streamer"
        configuration.reconnectInitialSeconds = 0.3
        configuration.reconnectCapSeconds = 2
        configuration.rateLimitBackoffSeconds = 1
        configuration.requestTimeoutSeconds = 5
        settings(&configuration)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let log = LogCapture()
        let events = Mailbox<TastyTradeSyncEvent>()
        let sync = TastyTradeSync(
            configuration: configuration, credentials: TastyTradeSyncHarness.credentials, client: http,
            logger: Logger(label: "tickhub.tastytrade") { _ in log.handler })
        let harness = TastyTradeSyncHarness(
            simulator: simulator, tastyTrade: tastyTrade, port: port, http: http, sync: sync, events: events, log: log)
        try await tearingDown({
            await sync.stopAndWait()
            try? await http.shutdown()
        }) {
            try await body(harness)
        }
    }
}

/// Every log line the sync writes, at every level, with its metadata.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    var handler: some LogHandler { Handler(capture: self) }

    fileprivate func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
        }
    }
}
