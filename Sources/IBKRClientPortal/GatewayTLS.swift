import Foundation
import NIOSSL
import WebSocketClient

/// What the hub trusts of the gateway's certificate. The gateway makes its own, which no public authority signed:
/// on this machine (a loopback host) it is accepted as it is; elsewhere only a pinned copy
/// (`ibkr.clientPortal.certificate`) makes it acceptable, and without one the certificate is verified in full like
/// any site's. Verification is never turned off for a host off this machine.
enum GatewayTLS {
    enum Trust: Equatable {
        /// A loopback gateway with no pinned certificate: no one else can answer on this machine's loopback.
        case loopbackSelfSigned
        /// The pinned certificate is the only root; the host name is not checked, since the gateway's certificate
        /// names whatever it was made for.
        case pinned(path: String)
        /// The system's roots and the host name, as for any HTTPS site.
        case full
    }

    static func trust(host: String, pinnedCertificate: String) -> Trust {
        if !pinnedCertificate.isEmpty { return .pinned(path: pinnedCertificate) }
        return LoopbackHost.matches(host) ? .loopbackSelfSigned : .full
    }


    static func configuration(_ trust: Trust) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .loopbackSelfSigned:
            tls.certificateVerification = .none
        case let .pinned(path):
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw GatewayError.configuration("cannot read the pinned gateway certificate \(path): \(error)")
            }
            guard !certificates.isEmpty else { throw GatewayError.configuration("\(path) holds no PEM certificate") }
            tls.trustRoots = .certificates(certificates)
            tls.certificateVerification = .noHostnameVerification
        case .full:
            tls.certificateVerification = .fullVerification
        }
        return tls
    }
}
