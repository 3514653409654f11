import Testing
@testable import Alerts

@Suite struct AlertDeskTests {
    @Test func opens() { _ = AlertDesk() }
}
