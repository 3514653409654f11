import Testing
@testable import TickhubApp

@Suite struct ListenAddressTests {
    @Test func resolvesNamesToTheIPv4AddressThatIsBound() throws {
        #expect(try ListenAddress.resolve("127.0.0.1") == "127.0.0.1")
        #expect(try ListenAddress.resolve("localhost") == "127.0.0.1")
        #expect(try ListenAddress.resolve("0.0.0.0") == "0.0.0.0")
    }

    @Test(arguments: ["::1", "::", "fe80::1"])
    func refusesIPv6ByName(host: String) {
        let error = #expect(throws: ConfigurationError.self) { try ListenAddress.resolve(host) }
        #expect(error?.description.contains("IPv4 only") == true)
    }

    @Test func refusesANameWithNoAddress() {
        #expect(throws: ConfigurationError.self) { try ListenAddress.resolve("no-such-host.invalid") }
    }
}
