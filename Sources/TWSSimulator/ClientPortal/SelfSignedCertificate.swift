// Implementation-only: none of their types is stored or shown, and a plain (even `internal`) import lets SwiftASN1's
// operators reach every module that imports TWSSimulator, where they made tickhub-bench's string arithmetic too
// slow to type-check.
@_implementationOnly import Crypto
import Foundation
@_implementationOnly import SwiftASN1
@_implementationOnly import X509

/// The gateway's certificate, made at start as IBKR's gateway ships one of its own: self-signed, for `localhost`,
/// `127.0.0.1` and `::1`. Clients trust it by its PEM (written where the caller asks), never by turning checks off.
public struct SelfSignedCertificate: Sendable {
    /// The certificate, PEM.
    public let certificatePEM: String
    /// Its P-256 private key, PKCS#8 PEM.
    public let privateKeyPEM: String

    public init(commonName: String = "localhost", validFor days: Int = 365, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("Tickhub simulator")
        }
        let publicKey = privateKey.publicKey
        let identifier = SubjectKeyIdentifier(hash: publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            // A clock a little behind ours must not see a certificate from the future.
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                // Its own issuer: a trust anchor to the clients that load it, and the server's leaf too.
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                identifier
                AuthorityKeyIdentifier(keyIdentifier: identifier.keyIdentifier)
                SubjectAlternativeNames([
                    .dnsName(commonName),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))),
                ])
            },
            issuerPrivateKey: privateKey)
        certificatePEM = try certificate.serializeAsPEM().pemString
        privateKeyPEM = key.pemRepresentation
    }

    /// Writes the certificate's PEM to `path` (the key stays in memory).
    public func writeCertificate(to path: String) throws {
        try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
