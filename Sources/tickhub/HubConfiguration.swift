import Foundation
import IBKR
import MarketData
import TickhubCore
import TickhubServer

/// The `tickhub` configuration file: `{"server": {...}, "ibkr": {...}}`; see config/tickhub.example.json.
struct HubConfigurationFile: Decodable {
    struct Server: Decodable {
        var listen: String?
        var maxSymbolsPerClient: Int?
        var maxMessageBytes: Int?
        var slowClientSeconds: Double?
        var pingIdleSeconds: Int?
        var idleHangupSeconds: Int?
        var firstQuoteWaitSeconds: Double?
        var allowedOrigins: [String]?
        var releaseIdleSymbolsSeconds: Double?
        var snapshotSeconds: Double?
        var pnlPerSecond: Double?
        var maxPublishBytes: Int?
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
    var ibkr: IBKRConfiguration?
    var yahoo: Yahoo?
    var alphaVantage: AlphaVantage?
    var providers: Providers?
    var push: Push?
    var db: String?

    static func load(_ path: String) throws -> HubConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read config file \(path)")
        }
        do {
            return try JSONDecoder().decode(HubConfigurationFile.self, from: data)
        } catch {
            throw ConfigurationError("config file \(path) is not valid: \(error)")
        }
    }

    func apply(to c: inout ServerConfiguration) throws {
        guard let s = server else { return }
        if let listen = s.listen { (c.host, c.port) = try Self.parseListen(listen) }
        if let v = s.maxSymbolsPerClient { c.maxSymbolsPerClient = v }
        if let v = s.maxMessageBytes { c.maxMessageBytes = v }
        if let v = s.slowClientSeconds { c.slowClientSeconds = v }
        if let v = s.pingIdleSeconds { c.pingIdleSeconds = v }
        if let v = s.idleHangupSeconds { c.idleHangupSeconds = v }
        if let v = s.firstQuoteWaitSeconds { c.firstQuoteWaitSeconds = v }
        if let v = s.allowedOrigins { c.allowedOrigins = v }
        if let v = s.releaseIdleSymbolsSeconds { c.releaseIdleSymbolsSeconds = v }
        if let v = s.snapshotSeconds { c.snapshotSeconds = v }
        if let v = s.pnlPerSecond { c.pnlPerSecond = v }
        if let v = s.maxPublishBytes { c.maxPublishBytes = v }
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw ConfigurationError("--listen wants HOST:PORT, e.g. 127.0.0.1:8080, not \"\(text)\"") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Finds the project's files (dashboard, docs, sample portfolio) from the working directory or the executable.
enum ProjectFiles {
    static func root() -> String? {
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["TICKHUB_HOME"] { candidates.append(home) }
        candidates.append(FileManager.default.currentDirectoryPath)
        var executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(executable.path)
            executable.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/clients/dashboard/index.html") }
    }
}

extension HubConfigurationFile {
    func apply(to c: inout YahooProvider.Configuration, enabled: inout Bool) {
        guard let y = yahoo else { return }
        if let v = y.enabled { enabled = v }
        if let v = y.baseURL { c.baseURL = v }
        if let v = y.pollSeconds { c.pollSeconds = v }
        if let v = y.backoffInitialSeconds { c.backoffInitialSeconds = v }
        if let v = y.backoffCapSeconds { c.backoffCapSeconds = v }
    }

    func apply(to c: inout AlphaVantageProvider.Configuration) {
        guard let a = alphaVantage else { return }
        if let v = a.baseURL { c.baseURL = v }
        if let v = a.dailyBudget { c.dailyBudget = v }
        if let v = a.minimumSpacingSeconds { c.minimumSpacingSeconds = v }
        if let v = a.pollSeconds { c.pollSeconds = v }
    }

    func apply(to c: inout DataProviderManager.Configuration) throws {
        guard let p = providers else { return }
        if let order = p.order {
            c.policy.order = try order.map { name in
                guard let provider = ProviderName(rawValue: name) else {
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
    func apply(to c: inout PushProvider.Configuration) {
        if let v = push?.staleSeconds { c.staleSeconds = v }
    }
}
