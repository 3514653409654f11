import TWSSimulator
import SimulatorTestSupport

/// A simulator (its TWS port and its Client Portal gateway, both on free loopback ports, the clock at
/// `OpenMarket.wednesdayMorning`) for `body`; always stopped afterwards.
func withSimulatedGateway(
    ticksPerSecond: Double = 200,
    _ configure: (inout ClientPortalConfiguration) -> Void = { _ in },
    _ body: (_ twsPort: Int, ClientPortalGateway, _ port: Int) async throws -> Void
) async throws {
    var configuration = SimulatorConfiguration()
    configuration.port = 0
    configuration.ticksPerSecond = ticksPerSecond
    configuration.clock = OpenMarket.wednesdayMorning
    var portal = ClientPortalConfiguration()
    portal.port = 0
    configure(&portal)
    let simulator = GatewaySimulator(configuration: configuration)
    let twsPort = try await simulator.start()
    let gateway: ClientPortalGateway
    let port: Int
    do {
        gateway = try ClientPortalGateway(simulator: simulator, configuration: portal)
        port = try await gateway.start()
    } catch {
        await simulator.stop()
        throw error
    }
    do {
        try await body(twsPort, gateway, port)
    } catch {
        await gateway.stop()
        await simulator.stop()
        throw error
    }
    await gateway.stop()
    await simulator.stop()
}
