import TWSSimulator

/// Runs `body` with a started simulated market (on a free loopback port, inside the US session) and the simulated
/// TastyTrade beside it on its own free port, holding one of `slots` throughout; both are stopped whatever `body` does.
/// `body` gets the TastyTrade's port.
public func withSimulatedTastyTrade<T>(
    slots: SimulatorSlots, ticksPerSecond: Double,
    _ configure: (inout TastyTradeSimulatorConfiguration) -> Void = { _ in },
    _ body: (GatewaySimulator, TastyTradeSimulator, Int) async throws -> T
) async throws -> T {
    try await slots.holding {
        let market = SimulatorConfiguration.openMarket(ticksPerSecond: ticksPerSecond)
        var tasty = TastyTradeSimulatorConfiguration()
        tasty.port = 0
        configure(&tasty)
        let simulator = GatewaySimulator(configuration: market)
        _ = try await simulator.start()
        return try await tearingDown({ await simulator.stop() }) {
            let tastyTrade = TastyTradeSimulator(simulator: simulator, configuration: tasty)
            let port = try await tastyTrade.start()
            return try await tearingDown({ await tastyTrade.stop() }) {
                try await body(simulator, tastyTrade, port)
            }
        }
    }
}

/// Runs `body`, then `tearDown` whether `body` returned or threw; a failing `tearDown` fails the run only when
/// `body` did not (the first error is the one worth reading).
public func tearingDown<T>(
    _ tearDown: () async throws -> Void, _ body: () async throws -> T
) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        try? await tearDown()
        throw error
    }
    try await tearDown()
    return result
}
