import Foundation
import IBKR
import MarketData
import TickhubCore
import Hub
import LwsHost

/// The `tickhub` configuration file: `{"server": {...}, "ibkr": {...}, ...}`; config/tickhub.example.json lists
/// every key with its default. A key the hub does not read is an error, not a silent no-op: a misspelt
/// `listne` must not leave a hub listening where its owner did not mean it to.
public struct HubConfigurationFile: Decodable {
    struct Server: Decodable {
        var listen: String?
        var maxSymbolsPerClient: Int?
        var maxMessageBytes: Int?
        var slowClientSeconds: Double?
        var pingIdleSeconds: Int?
        var idleHangupSeconds: Int?
        var firstQuoteWaitSeconds: Double?
        var allowedOrigins: [String]?
        var allowedHosts: [String]?
        var releaseIdleSymbolsSeconds: Double?
        var snapshotSeconds: Double?
        var pnlPerSecond: Double?
        var maxPublishBytes: Int?
        var authTimeoutSeconds: Double?
        var maxQueuedErrors: Int?
        var maxUpstreamSymbols: Int?
        var maxSymbolsPerRequest: Int?
        var maxSymbolsPerImport: Int?
        var maxErrorsPerMinute: Int?
        var maxQueuedBytes: Int?
        var tls: TLS?
    }

    /// `server.tls`: PEM files for HTTPS and WSS on the listening port.
    struct TLS: Decodable {
        var certificate: String?
        var privateKey: String?
    }

    /// `yahoo`, `alphaVantage` and `providers` sections.
    struct Yahoo: Decodable {
        var enabled: Bool?
        var baseURL: String?
        var pollSeconds: Double?
        var backoffInitialSeconds: Double?
        var backoffCapSeconds: Double?
    }

    struct AlphaVantage: Decodable {
        var baseURL: String?
        var dailyBudget: Int?
        var minimumSpacingSeconds: Double?
        var pollSeconds: Double?
    }

    struct Push: Decodable {
        var staleSeconds: Double?
    }

    struct Providers: Decodable {
        var order: [String]?
        var failbackSeconds: Double?
        var silenceSeconds: Double?
    }

    var server: Server?
    public var ibkr: IBKRConfiguration?
    var yahoo: Yahoo?
    var alphaVantage: AlphaVantage?
    var providers: Providers?
    var push: Push?
    var db: String?

    /// The database path the file names; empty means the default location.
    public var databasePath: String? { db.flatMap { $0.isEmpty ? nil : $0 } }

    public init() {}

    /// Every key the hub reads from a file, as dotted paths.
    public static let knownKeys = ConfigurationKeys.paths(of: HubConfigurationFile.self)

    public static func load(_ path: String) throws -> HubConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the configuration file \(path)")
        }
        return try parse(data, source: path)
    }

    /// Parses a file's bytes; `source` names it in errors.
    public static func parse(_ data: Data, source: String) throws -> HubConfigurationFile {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationError("\(source) is not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
        }
        guard json is [String: Any] else { throw ConfigurationError("\(source) must hold a JSON object") }
        if let first = ConfigurationKeys.unknown(in: json, known: knownKeys).first {
            let hint = first.suggestion.map { " (did you mean \"\($0)\"?)" } ?? ""
            throw ConfigurationError("\(source): unknown key \"\(first.path)\"\(hint)")
        }
        do {
            return try JSONDecoder().decode(HubConfigurationFile.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError("\(source): \(Self.describe(error))")
        }
    }

    /// `ibkr.port: expected a number`, rather than the decoder's dump of its coding path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        func name(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Int.Type: "a whole number"
            case is Double.Type: "a number"
            case is Bool.Type: "true or false"
            case is [String].Type: "an array of strings"
            default: "\(type)"
            }
        }
        switch error {
        case let .typeMismatch(type, context): return "\(path(context)): expected \(name(type))"
        case let .valueNotFound(type, context): return "\(path(context)): expected \(name(type)), found null"
        case let .keyNotFound(key, context): return "\(path(context)): missing \(key.stringValue)"
        case let .dataCorrupted(context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    public func apply(to c: inout ServerConfiguration) throws {
        guard let s = server else { return }
        if let listen = s.listen { (c.host, c.port) = try ListenAddress.parse(listen, source: "server.listen") }
        if let v = s.maxSymbolsPerClient { c.maxSymbolsPerClient = v }
        if let v = s.maxMessageBytes { c.maxMessageBytes = v }
        if let v = s.slowClientSeconds { c.slowClientSeconds = v }
        if let v = s.pingIdleSeconds { c.pingIdleSeconds = v }
        if let v = s.idleHangupSeconds { c.idleHangupSeconds = v }
        if let v = s.firstQuoteWaitSeconds { c.firstQuoteWaitSeconds = v }
        if let v = s.allowedOrigins { c.allowedOrigins = v }
        if let v = s.allowedHosts { c.allowedHosts = v }
        if let v = s.releaseIdleSymbolsSeconds { c.releaseIdleSymbolsSeconds = v }
        if let v = s.snapshotSeconds { c.snapshotSeconds = v }
        if let v = s.pnlPerSecond { c.pnlPerSecond = v }
        if let v = s.maxPublishBytes { c.maxPublishBytes = v }
        if let v = s.authTimeoutSeconds { c.authTimeoutSeconds = v }
        if let v = s.maxQueuedErrors { c.maxQueuedErrors = v }
        if let v = s.maxUpstreamSymbols { c.maxUpstreamSymbols = v }
        if let v = s.maxSymbolsPerRequest { c.maxSymbolsPerRequest = v }
        if let v = s.maxSymbolsPerImport { c.maxSymbolsPerImport = v }
        if let v = s.maxErrorsPerMinute { c.maxErrorsPerMinute = v }
        if let v = s.maxQueuedBytes { c.maxQueuedBytes = v }
        // Both empty (as in the example file) is plain HTTP; one without the other is a mistake worth saying.
        if let tls = s.tls {
            let certificate = tls.certificate ?? "", privateKey = tls.privateKey ?? ""
            switch (certificate.isEmpty, privateKey.isEmpty) {
            case (true, true): c.tls = nil
            case (false, false): c.tls = .init(certificate: certificate, privateKey: privateKey)
            default: throw ConfigurationError("server.tls needs both \"certificate\" and \"privateKey\" (PEM file paths)")
            }
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension HubConfigurationFile {
    public func apply(to c: inout YahooProvider.Configuration, enabled: inout Bool) {
        guard let y = yahoo else { return }
        if let v = y.enabled { enabled = v }
        if let v = y.baseURL { c.baseURL = v }
        if let v = y.pollSeconds { c.pollSeconds = v }
        if let v = y.backoffInitialSeconds { c.backoffInitialSeconds = v }
        if let v = y.backoffCapSeconds { c.backoffCapSeconds = v }
    }

    public func apply(to c: inout AlphaVantageProvider.Configuration) {
        guard let a = alphaVantage else { return }
        if let v = a.baseURL { c.baseURL = v }
        if let v = a.dailyBudget { c.dailyBudget = v }
        if let v = a.minimumSpacingSeconds { c.minimumSpacingSeconds = v }
        if let v = a.pollSeconds { c.pollSeconds = v }
    }

    public func apply(to c: inout DataProviderManager.Configuration) throws {
        guard let p = providers else { return }
        if let order = p.order {
            c.policy.order = try order.map { name in
                guard let provider = QuoteSource(rawValue: name) else {
                    throw ConfigurationError("providers.order: unknown provider \"\(name)\" (ibkr, yahoo, alphavantage, push)")
                }
                return provider
            }
        }
        if let v = p.failbackSeconds { c.policy.failbackSeconds = v }
        if let v = p.silenceSeconds { c.policy.silenceSeconds = v }
    }
}

extension HubConfigurationFile {
    public func apply(to c: inout PushProvider.Configuration) {
        if let v = push?.staleSeconds { c.staleSeconds = v }
    }
}
