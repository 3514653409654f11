import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import TWSProtocol
import TWSSimulator

/// The tick rate tickhub-sim sustains: a simulator on its own thread, a decoding client on another,
/// and for each target rate the rate actually received.
struct SimulatorThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-throughput", abstract: "Highest tick rate tickhub-sim sustains to one decoding client.")

    @Option(help: "Comma-separated target rates in TWS messages per second.") var rates = "25000,50000,100000,200000"
    @Option(help: "Subscribed symbols.") var symbols = 100
    @Option(help: "Seconds measured per rate.") var seconds = 5.0
    @Option(help: "A rate counts as sustained when this share of it arrives.") var sustainedShare = 0.95

    func run() async throws {
        var results: [[String: Any]] = []
        var sustained = 0.0
        for rate in rates.split(separator: ",").compactMap({ Double($0) }) {
            let received = try await measure(rate: rate)
            let share = received / rate
            if share >= sustainedShare { sustained = max(sustained, received) }
            results.append(["target": Int(rate), "received": Int(received), "share": (share * 1000).rounded() / 1000])
        }
        let report: [String: Any] = [
            "benchmark": "sim-throughput", "symbols": symbols, "secondsPerRate": seconds,
            "maxSustainedTicksPerSecond": Int(sustained), "rates": results,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
    }

    func measure(rate: Double) async throws -> Double {
        var config = SimulatorConfiguration()
        config.port = 0
        config.ticksPerSecond = rate
        config.pacingLimit = 0
        // Inside a US session whatever day the bench runs on: outside one, the stocks would not move.
        config.clock = TradingCalendar.demoStart(now: Date())
        config.marketDataLines = max(100, symbols)
        config.universe.addSynthetic(count: symbols)
        let simulator = GatewaySimulator(configuration: config)
        let port = try await simulator.start()

        let counter = TickCounter()
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(TWSFrameDecoder()), TWSClientHandler(clientID: 1), counter,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await counter.ready.futureResult.get()
        for i in 1...symbols {
            let symbol = "S" + String(repeating: "0", count: max(0, 4 - String(i).count)) + String(i)
            let request = RequestMarketData(requestID: i, contract: Contract(.stock(symbol)))
            try await channel.writeAndFlush(TWSRequest(request))
        }
        // Let the subscriptions settle, then count a clean window.
        try await Task.sleep(for: .milliseconds(500))
        let before = try await channel.eventLoop.submit { counter.ticks }.get()
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let after = try await channel.eventLoop.submit { counter.ticks }.get()
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        try await channel.close()
        await simulator.stop()
        return Double(after - before) / elapsed
    }
}

/// Counts decoded tick messages; lives on the client channel's loop.
final class TickCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = TWSClientEvent
    var ticks = 0
    var ready: EventLoopPromise<Void>!

    func handlerAdded(context: ChannelHandlerContext) {
        ready = context.eventLoop.makePromise()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .message(.nextValidID): ready.succeed()
        case .message(.tickPrice), .message(.tickSize), .message(.tickString), .message(.tickGeneric): ticks += 1
        default: break
        }
    }
}
