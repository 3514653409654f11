import TWSSimulator
import SimulatorTestSupport

/// A simulator (its TWS port and its Client Portal gateway, both on free loopback ports, the clock at
/// `OpenMarket.wednesdayMorning`) for `body`; always stopped afterwards.
func withSimulatedGateway(
    ticksPerSecond: Double = 200,
    _ configure: (inout ClientPortalConfiguration) -> Void = { _ in },
    _ body: (_ twsPort: Int, ClientPortalGateway, _ port: Int) async throws -> Void
) async throws {
    var portal = ClientPortalConfiguration()
    portal.port = 0
    configure(&portal)
    let simulator = GatewaySimulator(configuration: .openMarket(ticksPerSecond: ticksPerSecond))
    let twsPort = try await simulator.start()
    try await tearingDown({ await simulator.stop() }) {
        let gateway = try ClientPortalGateway(simulator: simulator, configuration: portal)
        let port = try await gateway.start()
        try await tearingDown({ await gateway.stop() }) {
            try await body(twsPort, gateway, port)
        }
    }
}
