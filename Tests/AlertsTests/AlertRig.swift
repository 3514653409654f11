import AsyncHTTPClient
import Foundation
import HubTestSupport
import NIOPosix
import Store
import Synchronization
import TickhubCore

@testable import Alerts

/// A desk over a real SQLite file in a temporary directory, with a clock the test moves, recording what it
/// published and what it asked to follow. Firings are read from `published` in order, so a test awaits them.
final class AlertRig: Sendable {
    let path: String
    let time = ManualClock()
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    let published: AsyncStream<AlertFired>
    private let publishing: AsyncStream<AlertFired>.Continuation
    private let following = Following()

    final class Following: Sendable {
        let list = Mutex<[[String]]>([])
    }

    init(path: String? = nil) {
        self.path = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("alerts-\(UUID().uuidString).sqlite").path
        (published, publishing) = AsyncStream.makeStream(of: AlertFired.self)
    }

    var followed: [[String]] { following.list.withLock { $0 } }

    /// A desk started over the rig's database.
    func desk(_ adjust: (inout AlertsConfiguration) -> Void = { _ in }) async throws -> AlertDesk {
        var configuration = AlertsConfiguration()
        configuration.retryInitialSeconds = 0.01
        configuration.retryCapSeconds = 0.05
        adjust(&configuration)
        let time = time
        let store = try PositionStore(path: path, options: StoreOptions(clock: { time.now / 1_000 }))
        let publishing = publishing, following = following
        let desk = AlertDesk(
            store: store, httpClient: client, configuration: configuration, clock: time.clock,
            publish: { publishing.yield($0) },
            follow: { instruments in following.list.withLock { $0.append(instruments.map(\.symbol)) } })
        try await desk.start()
        return desk
    }

    /// The next firing published, within `seconds`.
    func nextFiring(within seconds: Double = 5) async throws -> AlertFired {
        let stream = published
        return try await withThrowingTaskGroup(of: AlertFired?.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let fired = first else { throw RigError("no firing within \(seconds) s") }
            return fired
        }
    }

    /// Every firing up to and including the first of `symbol`: the worker publishes in order, so a sentinel rule's
    /// firing says everything observed before it has been judged.
    func firings(until symbol: String) async throws -> [AlertFired] {
        var seen: [AlertFired] = []
        for _ in 0..<1_000 {
            let fired = try await nextFiring()
            if fired.symbol == symbol { return seen }
            seen.append(fired)
        }
        throw RigError("no \(symbol) firing among 1000")
    }

    func shutdown() async {
        publishing.finish()
        try? await client.shutdown()
    }

    static func quote(_ symbol: String, _ price: Double, stale: Bool = false, delayed: Bool = false) -> Quote {
        var quote = Quote(symbol: symbol, source: .ibkr, timestamp: 1_800_000_000_000, delayed: delayed, stale: stale)
        quote.last = price
        quote.bid = price - 0.01
        quote.ask = price + 0.01
        return quote
    }

    /// Polls (bounded) until `done` holds for the deliveries; returns them.
    static func deliveries(of desk: AlertDesk, until done: ([AlertDelivery]) -> Bool, seconds: Double = 5) async throws -> [AlertDelivery] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let deliveries = try await desk.deliveries()
            if done(deliveries) { return deliveries }
            guard ContinuousClock.now < deadline else { throw RigError("deliveries not settled in \(seconds) s: \(deliveries)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

struct RigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
