@testable import IBKRClientPortal
import Testing

/// What is trusted of the gateway's certificate: its own, as it is, only on loopback; a pinned one anywhere;
/// otherwise full verification, never none.
@Suite("GatewayTLS")
struct GatewayTLSTests {
    @Test(arguments: ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
    func loopbackTakesTheGatewaysOwnCertificate(host: String) {
        #expect(GatewayTLS.trust(host: host, pinnedCertificate: "") == .loopbackSelfSigned)
    }

    @Test(arguments: ["10.0.0.5", "gateway.example", "localhost.example", "127.0.0.1.example", "128.0.0.1", "::2", "1277.0.0.1"])
    func anyOtherHostIsVerifiedInFull(host: String) throws {
        #expect(GatewayTLS.trust(host: host, pinnedCertificate: "") == .full)
        #expect(try GatewayTLS.configuration(.full).certificateVerification == .fullVerification)
    }

    @Test func aPinnedCertificateIsTheOnlyRootWhereverTheGatewayIs() {
        #expect(GatewayTLS.trust(host: "10.0.0.5", pinnedCertificate: "/etc/gw.pem") == .pinned(path: "/etc/gw.pem"))
        #expect(GatewayTLS.trust(host: "localhost", pinnedCertificate: "/etc/gw.pem") == .pinned(path: "/etc/gw.pem"))
    }

    @Test func anUnreadablePinnedCertificateIsAClearError() {
        #expect(throws: GatewayError.self) { try GatewayTLS.configuration(.pinned(path: "/nonexistent/gateway.pem")) }
    }
}
