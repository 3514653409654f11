import AsyncHTTPClient
import Foundation
import IBKR
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TickhubCore

/// REST calls to the Client Portal gateway, each waiting its turn under IBKR's pacing (`GatewayPacer`): a call
/// that would go over waits as long as the pacer says; a 429 puts every call in the penalty box and is reported,
/// never retried here.
final class GatewayClient: Sendable {
    let host: String
    let port: Int
    /// `https://host:port/v1/api`.
    let apiRoot: String
    let tls: TLSConfiguration
    private let http: HTTPClient
    private let pacer: Mutex<GatewayPacer>
    /// When each request of the last 10 seconds went (pacer's clock), for the status: the pace actually kept.
    private let recentSends = Mutex<[Double]>([])
    /// Seconds on a monotonic clock: the pacer's.
    let clock: @Sendable () -> Double
    private let requestTimeout: TimeAmount

    static let monotonic: @Sendable () -> Double = { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }

    init(
        host: String, port: Int, settings: ClientPortalSettings, group: any EventLoopGroup,
        clock: @escaping @Sendable () -> Double = GatewayClient.monotonic, requestTimeout: TimeAmount = .seconds(10)
    ) throws {
        self.host = host
        self.port = port
        let literal = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        apiRoot = "https://\(literal):\(port)/v1/api"
        tls = try GatewayTLS.configuration(GatewayTLS.trust(host: host, pinnedCertificate: settings.certificate))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(3), read: requestTimeout)
        // Redirects from the gateway go to its login page, which is for a browser, not for the hub.
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroup: group, configuration: configuration)
        pacer = Mutex(GatewayPacer(requestsPerSecond: settings.requestsPerSecond, penaltySeconds: settings.penaltySeconds, now: clock()))
        self.clock = clock
        self.requestTimeout = requestTimeout
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// When the current penalty ends, on the pacer's clock.
    var penaltyUntil: Double? { pacer.withLock { $0.penaltyUntil } }
    var penalties: Int { pacer.withLock { $0.penalties } }

    /// Requests sent in the last 10 seconds.
    var requestsLast10s: Int {
        let since = clock() - 10
        return recentSends.withLock { sends in sends.count { $0 >= since } }
    }

    private func noteSent() {
        let now = clock()
        // At most 10 a second are let through, so this stays near 100 entries.
        recentSends.withLock { sends in
            sends.removeAll { $0 < now - 10 }
            sends.append(now)
        }
    }

    /// Waits for `endpoint`'s turn; throws `.penalized` at once inside a penalty rather than waiting it out.
    private func turn(_ endpoint: GatewayEndpoint) async throws(GatewayError) {
        // Bounded: each wait is the pacer's exact figure, so a few rounds suffice unless other calls keep
        // taking the tokens first.
        for _ in 0..<1_000 {
            let decision = pacer.withLock { $0.request(endpoint, now: clock()) }
            switch decision {
            case .send:
                noteSent()
                return
            case let .penalized(until): throw .penalized(until: until)
            case let .wait(seconds):
                do { try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up)))) } catch {
                    throw .unreachable("cancelled")
                }
            }
        }
        throw .unreachable("no turn under the gateway's pacing")
    }

    /// Calls `path` (under `/v1/api`, with its query) as `endpoint`; the answer's body, for the ClientPortal
    /// module's readers.
    func call(_ endpoint: GatewayEndpoint, _ method: HTTPMethod = .GET, path: String, body: String? = nil) async throws(GatewayError) -> Data {
        try await turn(endpoint)
        var request = HTTPClientRequest(url: apiRoot + path)
        request.method = method
        // The gateway refuses requests without a user agent.
        request.headers.add(name: "User-Agent", value: "tickhub")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        } else if method == .POST {
            // An empty body, so the client frames it as Content-Length: 0 (some servers want a length on a POST).
            request.body = .bytes(ByteBuffer())
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: requestTimeout)
            bytes = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw .unreachable(Self.describe(error))
        }
        switch response.status.code {
        case 200..<300: break
        case 429:
            pacer.withLock { $0.tooManyRequests(now: clock()) }
            throw .penalized(until: penaltyUntil ?? clock())
        case 401: throw .notAuthenticated
        default:
            throw .status(Int(response.status.code), String(buffer: bytes).prefix(200).description)
        }
        return Data(bytes.readableBytesView)
    }

    /// A connection failure in a few words: AsyncHTTPClient's own text names every attempt and errno.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        let lower = text.lowercased()
        if lower.contains("refused") { return "connection refused" }
        if lower.contains("certificate") || lower.contains("handshake") || lower.contains("ssl") || lower.contains("tls") {
            return "TLS refused: " + String(text.prefix(160))
        }
        if lower.contains("timeout") || lower.contains("timed out") { return "no answer in time" }
        return String(text.prefix(200))
    }
}
