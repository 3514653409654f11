import Testing
@testable import Charts

@Suite struct ChartDeskTests {
    @Test func opens() { _ = ChartDesk() }
}
