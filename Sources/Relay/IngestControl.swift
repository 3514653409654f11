import AsyncHTTPClient
import Foundation
import Hub
import Logging
import NATSLink
import NIOCore
import NIOHTTP1
import ScaleOut
import Synchronization
import TickhubCore

/// What edges ask of the leading ingest on `control.>`: the IBKR switch (`ibkr.connect`, `ibkr.disconnect`, and
/// `ibkr.status`, each answered with the status as `BrokerStatusMessage`), and HTTP requests this process's database
/// serves (positions, alerts: `http`), answered by putting them to its own HTTP port on loopback with its own token,
/// so that an edge's answer is exactly this hub's, validation and all. Only the leader answers; a standby stays
/// silent, so a request is answered once.
///
/// An HTTP request travels as headers and body: `Tickhub-Method`, `Tickhub-Path` (with the query), `Content-Type`,
/// the body as the message's data (`ControlHTTPRequest`). The answer carries `Tickhub-Status` and the answer's
/// `Content-Type` (and `Deprecation`, `Location` when present) with the body as data. A request that could not be
/// carried out gets `Tickhub-Error` with why.
public final class IngestControl: Sendable {
    public static let errorHeader = "Tickhub-Error"

    private let connection: NATSConnection
    private let subjects: RelaySubjects
    private let control: (any ConnectionControl)?
    private let epoch: @Sendable () -> UInt64?
    private let local: LocalHTTP?
    private let logger: Logger
    private let subscription = Mutex<NATSSubscription?>(nil)

    /// This hub's own HTTP port, for relayed requests.
    public struct LocalHTTP: Sendable {
        public var baseURL: String
        public var token: String?
        /// The `Host` to send when the address reached is not a name the hub answers to (bound to every interface
        /// with `server.allowedHosts` set); nil sends the address's.
        public var host: String?
        public var client: HTTPClient

        public init(baseURL: String, token: String?, host: String? = nil, client: HTTPClient) {
            self.baseURL = baseURL
            self.token = token
            self.host = host
            self.client = client
        }
    }

    public init(connection: NATSConnection, subjects: RelaySubjects, control: (any ConnectionControl)?, local: LocalHTTP?,
                epoch: @escaping @Sendable () -> UInt64?, logger: Logger = Logger(label: "tickhub.relay.control")) {
        self.connection = connection
        self.subjects = subjects
        self.control = control
        self.local = local
        self.epoch = epoch
        self.logger = logger
    }

    public func start() throws(NATSError) {
        let subscription = try connection.subscribe(subjects.controls) { [self] message in
            guard let epoch = epoch(), message.reply != nil else { return }
            Task { await answer(message, epoch: epoch) }
        }
        self.subscription.withLock { $0 = subscription }
    }

    public func stop() {
        subscription.withLock { subscription in
            subscription?.unsubscribe()
            subscription = nil
        }
    }

    private func answer(_ message: NATSMessage, epoch: UInt64) async {
        let headers = EpochGate.headers(epoch)
        let reply: (data: [UInt8], headers: [String: String])
        switch subjects.command(fromControlSubject: message.subject) {
        case .ibkrConnect?: reply = await ibkr(connect: true)
        case .ibkrDisconnect?: reply = await ibkr(connect: false)
        case .ibkrStatus?: reply = await ibkr(connect: nil)
        case .http?: reply = await http(message)
        case nil: reply = ([], [Self.errorHeader: "no such control command: \(message.subject)"])
        }
        do { try connection.respond(to: message, reply.data, headers: headers.merging(reply.headers) { first, _ in first }) } catch {
            logger.warning("could not answer \(message.subject): \(error)")
        }
    }

    private func ibkr(connect: Bool?) async -> ([UInt8], [String: String]) {
        guard let control else { return ([], [Self.errorHeader: "this hub runs without an IBKR connection"]) }
        if let connect { await control.setConnected(connect) }
        guard let status = await control.status() else { return ([], [Self.errorHeader: "this hub runs without an IBKR connection"]) }
        return (BrokerStatusMessage(status).json, [:])
    }

    private func http(_ message: NATSMessage) async -> ([UInt8], [String: String]) {
        let request: ControlHTTPRequest
        do { request = try ControlHTTPRequest(message) } catch {
            return ([], [Self.errorHeader: error.reason])
        }
        guard let local else { return ([], [Self.errorHeader: "this ingest serves no HTTP requests"]) }
        var outgoing = HTTPClientRequest(url: local.baseURL + request.path)
        outgoing.method = HTTPMethod(rawValue: request.method)
        if let token = local.token { outgoing.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let host = local.host { outgoing.headers.replaceOrAdd(name: "Host", value: host) }
        if let type = request.contentType { outgoing.headers.add(name: "Content-Type", value: type) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await local.client.execute(outgoing, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: ControlHTTPRequest.maximumBody)
            var headers = [ControlHTTPRequest.statusHeader: String(response.status.code)]
            for name in ["Content-Type", "Deprecation", "Location"] {
                if let value = response.headers.first(name: name) { headers[name] = value }
            }
            return (Array(buffer: body), headers)
        } catch {
            return ([], [Self.errorHeader: "the leading ingest could not serve \(request.method) \(request.path): \(error)"])
        }
    }
}

/// An HTTP request an edge relays to the leading ingest on `control.http`: method, path and content type as headers,
/// the body as data. Only the API is relayed (paths under `/api/`), and bodies up to 8 MiB.
public struct ControlHTTPRequest: Sendable, Equatable {
    public static let methodHeader = "Tickhub-Method"
    public static let pathHeader = "Tickhub-Path"
    public static let statusHeader = "Tickhub-Status"
    public static let maximumBody = 8 * 1024 * 1024
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    public var method: String
    /// With the query, if any: `/api/positions?broker=manual`.
    public var path: String
    public var contentType: String?
    public var body: [UInt8]

    public init(method: String, path: String, contentType: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.contentType = contentType
        self.body = body
    }

    /// The headers it travels with; its body is the message's data.
    public var headers: [String: String] {
        var headers = [Self.methodHeader: method, Self.pathHeader: path]
        if let contentType { headers["Content-Type"] = contentType }
        return headers
    }

    public init(_ message: NATSMessage) throws(RelayMessageError) {
        guard let method = message.headers[Self.methodHeader], Self.methods.contains(method) else {
            throw RelayMessageError("a relayed request's \(Self.methodHeader) must be one of \(Self.methods.sorted().joined(separator: ", "))")
        }
        guard let path = message.headers[Self.pathHeader], path.hasPrefix("/api/"), path.utf8.count <= 8_192,
              !path.contains(".."), path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw RelayMessageError("a relayed request's \(Self.pathHeader) must be a path under /api/")
        }
        guard message.data.count <= Self.maximumBody else { throw RelayMessageError("a relayed request's body is over 8 MiB") }
        self.init(method: method, path: path, contentType: message.headers["Content-Type"], body: message.data)
    }
}
