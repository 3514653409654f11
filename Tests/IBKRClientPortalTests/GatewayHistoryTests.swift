import Foundation
import IBKR
@testable import IBKRClientPortal
import Logging
import NIOPosix
import SimulatorTestSupport
import Testing
import TickhubCore
import TWSSimulator

/// Historical bars over the Client Portal against the simulated gateway (real TLS on loopback): the same bars the
/// simulator's TWS side gives for the same span, asked the moment the session is being opened, within IBKR's
/// 5 history requests at once, and an unknown contract or a session that is down refused as the chart needs.
@Suite("Client Portal history", .serialized)
struct GatewayHistoryTests {
    /// Wednesday 2 December 2026, 11:00 New York; the simulator's clock starts there.
    static let simulatedNow = Int64(OpenMarket.wednesdayMorning.timeIntervalSince1970 * 1000)
    static let day: Int64 = 86_400_000

    @Test func theSameBarsAsTheTWSSideFromTheMomentOfConnecting() async throws {
        try await withSimulatedGateway { twsPort, _, port in
            let portal = try ClientPortalProvider(configuration: Self.configuration(port: port), logger: Logger(label: "test.history"))
            var tws = IBKRConfiguration()
            tws.port = twsPort
            tws.clientId = 7
            let direct = IBKRProvider(configuration: tws)
            await direct.start()
            // Asked as start() returns: the session is being opened, and the bars wait for it.
            await portal.start()
            // Spans that end before the simulator's now, so that both sides are asked for a fixed end.
            let end = Self.simulatedNow - 60_000
            let spans: [(BarInterval, Int64)] = [(.oneMinute, Self.day), (.fifteenMinutes, 5 * Self.day), (.oneDay, 90 * Self.day)]
            for (interval, length) in spans {
                for instrument in [Instrument.stock("AAPL"), .forex(base: "EUR", quote: "USD")] {
                    let request = BarRequest(instrument: instrument, interval: interval, from: end - length, to: end)
                    let viaPortal = try await portal.historicalBars(request)
                    let viaTWS = try await direct.historicalBars(request)
                    #expect(viaPortal.count >= 10, "\(instrument.symbol) \(interval)")
                    #expect(viaPortal.map(\.time) == viaTWS.map(\.time), "\(instrument.symbol) \(interval)")
                    for (a, b) in zip(viaPortal, viaTWS) {
                        #expect(a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close, "\(a) \(b)")
                        // IBKR's hundreds times volumeFactor: the shares TWS reports; FX midpoints have none.
                        #expect(abs((a.volume ?? -1) - (b.volume ?? -1)) < 0.5, "\(instrument.symbol) \(interval) \(a) \(b)")
                    }
                }
            }
            await direct.stop()
            await portal.stop()
        }
    }

    @Test func neverMoreThanFiveAtOnce() async throws {
        try await withSimulatedGateway({ $0.historyLatencyMilliseconds = 1_000 }) { _, gateway, port in
            let portal = try ClientPortalProvider(configuration: Self.configuration(port: port), logger: Logger(label: "test.history"))
            await portal.start()
            let end = Self.simulatedNow - 60_000
            let symbols = ["AAPL", "MSFT", "IBM", "SPY", "QQQ", "NVDA", "TSLA", "AMZN"]
            // Eight charts at once, each two requests of 8 hours: sixteen requests, each a second in the making,
            // sent at the gateway's pace (8 a second) so that more than five would be under way but for the limit.
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for symbol in symbols {
                    group.addTask {
                        try await portal.historicalBars(BarRequest(instrument: .stock(symbol), interval: .oneMinute, from: end - 16 * 3_600_000, to: end)).count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.count == symbols.count && counts.allSatisfy { $0 > 0 })
            let status = try await gateway.status()
            #expect(status.historyRequests == 2 * symbols.count)
            #expect(status.historyMostAtOnce == GatewayHistory.concurrency, "the limit was reached, never passed")
            #expect(status.tooManyRequests == 0)
            await portal.stop()
        }
    }

    @Test func unknownContractsAndADownSessionAreRefusedAsChartsNeed() async throws {
        try await withSimulatedGateway { _, gateway, port in
            let portal = try ClientPortalProvider(configuration: Self.configuration(port: port), logger: Logger(label: "test.history"))
            let end = Self.simulatedNow - 60_000
            let request = BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: end - 3_600_000, to: end)
            // Not started: nothing to ask, and no waiting.
            await #expect(throws: IBKRHistoryError.disconnected) { try await portal.historicalBars(request) }
            await portal.start()
            #expect(try await portal.historicalBars(request).count == 60)
            let unknown = BarRequest(instrument: .stock("ZZZZQ"), interval: .oneMinute, from: end - 3_600_000, to: end)
            await #expect(throws: IBKRHistoryError.refused(code: 200, message: "No security definition has been found for the request")) {
                try await portal.historicalBars(unknown)
            }
            await #expect(throws: IBKRHistoryError.self) {
                try await portal.historicalBars(BarRequest(instrument: .stock("AAPL"), interval: .oneMinute, from: end, to: end))
            }
            // Logged out at the gateway: the link goes down, and a chart is told so at once.
            await gateway.inject(.loggedOut)
            var refusal: IBKRHistoryError?
            for _ in 0..<100 where refusal != .disconnected {
                do throws(IBKRHistoryError) { _ = try await portal.historicalBars(request) } catch { refusal = error }
            }
            #expect(refusal == .disconnected)
            await portal.stop()
        }
    }

    static func configuration(port: Int) -> IBKRConfiguration {
        var configuration = IBKRConfiguration()
        configuration.transport = .clientPortal
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.reconnectInitialSeconds = 0.1
        configuration.reconnectCapSeconds = 1
        configuration.connectTimeoutSeconds = 10
        return configuration
    }
}

@Suite("Client Portal followed bars")
struct GatewayFollowTests {
    @Test func aFollowedSeriesGetsItsNewestBarsAndAnUnknownOneIsNotFollowed() async throws {
        try await withSimulatedGateway { _, gateway, port in
            let portal = try ClientPortalProvider(
                configuration: GatewayHistoryTests.configuration(port: port), logger: Logger(label: "test.follow"))
            let events = await portal.events()
            await portal.start()
            for await event in events {
                if case let .connection(status) = event, status.state == .ready { break }
            }
            #expect(await portal.followBars(.stock("ZZZZQ"), interval: .oneMinute, onBar: { _ in }) == nil)
            let (bars, feed) = AsyncStream.makeStream(of: Bar.self)
            let id = try #require(await portal.followBars(.stock("AAPL"), interval: .oneMinute) { feed.yield($0) })
            let timeout = Task {
                try await Task.sleep(for: .seconds(15))
                feed.finish()
            }
            var got: [Bar] = []
            for await bar in bars {
                got.append(bar)
                if got.count == 2 { break }
            }
            timeout.cancel()
            // The forming minute and the one before, on the simulated clock (Wednesday 11:00 New York and on).
            let start = GatewayHistoryTests.simulatedNow
            #expect(got.count == 2)
            #expect(got.allSatisfy { $0.time >= start - 120_000 && $0.time < start + 300_000 && $0.isConsistent && ($0.volume ?? -1) >= 0 }, "\(got)")
            #expect(got.count < 2 || got[1].time == got[0].time + 60_000)
            await portal.stopFollowingBars(id)
            let asked = try await gateway.status().historyRequests
            #expect(asked >= 1)
            await portal.stop()
        }
    }
}
