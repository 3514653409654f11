import Foundation
import Hub
import LwsHost

public enum TLSFiles {
    /// Both PEM files exist and can be read, checked before the server starts so the error names the file;
    /// libwebsockets would only say that the context could not be created.
    public static func check(_ tls: ServerConfiguration.TLS) throws {
        for (name, path) in [("server.tls.certificate", tls.certificate), ("server.tls.privateKey", tls.privateKey)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError("\(name): cannot read \(path)")
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("-----BEGIN ") else {
                throw ConfigurationError("\(name): \(path) is not a PEM file")
            }
        }
    }
}
