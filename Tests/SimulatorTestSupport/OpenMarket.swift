import Foundation
import TWSSimulator

/// Simulated times for tests that need a market in or out of session, whatever day the tests run on.
public enum OpenMarket {
    /// Wednesday 2 December 2026, 11:00 New York (16:00 UTC): US stocks and options, FX and crypto all trade,
    /// with five hours of the stock session ahead.
    public static let wednesdayMorning = Date(timeIntervalSince1970: 1_796_227_200)
    /// Sunday 6 December 2026, 12:00 New York: only crypto trades.
    public static let sundayNoon = Date(timeIntervalSince1970: 1_796_576_400)
}

extension SimulatorConfiguration {
    /// A simulated market for a test: on a free loopback port, its clock at `OpenMarket.wednesdayMorning`.
    public static func openMarket(ticksPerSecond: Double) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.port = 0
        configuration.ticksPerSecond = ticksPerSecond
        configuration.clock = OpenMarket.wednesdayMorning
        return configuration
    }
}
