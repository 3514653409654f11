import Foundation
import Logging
import NIOCore
import NIOPosix

/// A TWS / IB Gateway stand-in on a real TCP port, for development, demos, tests and benchmarks.
///
/// All of its state lives on one event loop; these methods hop onto it.
public final class GatewaySimulator: Sendable {
    public struct Status: Sendable, Codable, Equatable {
        public var port: Int
        public var serverVersion: Int
        public var connections: Int
        public var subscriptions: Int
        public var connectionsAccepted: Int
        public var requestsReceived: Int
        /// reqCurrentTime requests answered: what a client's heartbeat looks like from here.
        public var currentTimeRequests: Int
        public var ticksSent: Int
        public var errorsSent: Int
        public var malformedRequests: Int
        public var linkDown: Bool
        public var farmDown: Bool
        public var refusingConnections: Bool
        /// The simulated time (ISO 8601, UTC): sessions, trading days and option expiries go by it.
        public var clock: String
    }

    public let configuration: SimulatorConfiguration
    let loop: EventLoop
    let engine: NIOLoopBound<SimulatorEngine>
    private let ownedGroup: MultiThreadedEventLoopGroup?

    /// - Parameter eventLoop: the loop to run on; by default the simulator gets a thread of its own.
    public init(
        configuration: SimulatorConfiguration, eventLoop: EventLoop? = nil,
        logger: Logger = Logger(label: "tickhub.sim")
    ) {
        self.configuration = configuration
        if let eventLoop {
            loop = eventLoop
            ownedGroup = nil
        } else {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            ownedGroup = group
            loop = group.next()
        }
        let loop = loop
        engine = try! loop.submit {
            NIOLoopBound(SimulatorEngine(configuration: configuration, loop: loop, logger: logger), eventLoop: loop)
        }.wait()
    }

    /// Starts listening; returns the bound port (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        let port = configuration.port
        return try await loop.flatSubmit { self.engine.value.start(port: port) }.get()
    }

    public func stop() async {
        try? await loop.flatSubmit { self.engine.value.stop() }.get()
        try? await ownedGroup?.shutdownGracefully()
    }

    public func inject(_ fault: Fault) async {
        try? await loop.submit { self.engine.value.inject(fault) }.get()
    }

    /// Sets the simulated time; it runs on in real time from there. Markets open or shut as that time says.
    public func setClock(_ date: Date) async {
        try? await loop.submit { self.engine.value.setClock(date) }.get()
    }

    public func status() async throws -> Status {
        try await loop.submit {
            let e = self.engine.value
            return Status(
                port: e.boundPort, serverVersion: e.configuration.serverVersion, connections: e.sessions.count,
                subscriptions: e.subscriptions.count, connectionsAccepted: e.counters.connectionsAccepted,
                requestsReceived: e.counters.requestsReceived, currentTimeRequests: e.counters.currentTimeRequests,
                ticksSent: e.counters.ticksSent,
                errorsSent: e.counters.errorsSent, malformedRequests: e.counters.malformedRequests,
                linkDown: e.linkDown, farmDown: e.farmDown, refusingConnections: e.refusingUntil != nil,
                clock: TradingCalendar.format(Date(timeIntervalSince1970: e.simulatedTime)))
        }.get()
    }
}
