import Hub
import HubProtocol
import Logging
import NATSLink
import ScaleOut

/// The HTTP routes an edge cannot answer itself, since it has no database and no chart desk: positions, the P&L
/// history, alert rules and chart bars. Each request is passed to the leading ingest on `control.http` and its
/// answer returned as it came (status, body, `Content-Type`, `Location`, `Deprecation`), so an edge's client gets
/// exactly the ingest's answer, its validation and errors included. The edge checks the client's token itself;
/// the ingest uses its own.
public final class EdgeHTTPRelay: HubFeature {
    /// The routes relayed, as the ingest's features register them.
    static let routes: [(name: String, methods: Set<HTTPRequest.Method>, pattern: RouteTable<HubRouter.Route>.Pattern)] = [
        ("positions", [.get, .post], .exact("/api/positions")),
        ("positions-import", [.post], .exact("/api/positions/import")),
        ("position", [.get, .put, .delete], .prefix("/api/positions/")),
        ("history", [.get], .exact("/api/portfolio/history")),
        ("alerts", [.get, .post], .exact("/api/alerts")),
        ("alert-deliveries", [.get], .exact("/api/alerts/deliveries")),
        ("alert", [.get, .delete], .prefix("/api/alerts/")),
        ("bars", [.get], .prefix("/api/market-data/bars/")),
    ]

    private let connection: NATSConnection
    private let subjects: RelaySubjects
    private let timeout: Duration
    private let logger: Logger

    init(connection: NATSConnection, subjects: RelaySubjects, timeout: Duration, logger: Logger) {
        self.connection = connection
        self.subjects = subjects
        self.timeout = timeout
        self.logger = logger
    }

    package func register(into routes: inout HubRouter) {
        for route in Self.routes {
            routes.add(route.name, route.methods, route.pattern) { [self] _, request, _ in
                .async { await self.relay(request) }
            }
        }
    }

    func relay(_ request: HTTPRequest) async -> HTTPResponse {
        // HEAD is asked as GET; the host leaves the body out.
        let method = request.method == .head ? "GET" : request.method.rawValue
        let relayed = ControlHTTPRequest(method: method, path: Self.target(request), contentType: request.headers["content-type"],
                                         body: request.body)
        let answer: NATSMessage
        do {
            answer = try await connection.request(subjects.control(.http), relayed.body, headers: relayed.headers, timeout: timeout)
        } catch {
            let why = error == .noResponders ? "no ingest is running" : "no ingest answered (\(error))"
            logger.warning("\(method) \(request.path) not relayed: \(why)")
            return .error(503, code: "ingest_unavailable", "this edge passes \(request.path) to the leading ingest, and \(why)")
        }
        if let refusal = answer.headers[IngestControl.errorHeader] {
            return .error(502, code: "ingest_refused", refusal)
        }
        guard let statusText = answer.headers[ControlHTTPRequest.statusHeader], let status = Int(statusText), (100...599).contains(status) else {
            return .error(502, code: "ingest_refused", "the leading ingest's answer to \(request.path) has no status")
        }
        var response = HTTPResponse(status: status, contentType: answer.headers["Content-Type"] ?? "application/json", body: answer.data)
        for name in ["Location", "Deprecation"] {
            if let value = answer.headers[name] { response.headers.append((name.lowercased(), value)) }
        }
        return response
    }

    /// The request's path and query as they go on the wire again: the hub hands them decoded.
    static func target(_ request: HTTPRequest) -> String {
        var target = escape(request.path, keeping: "/")
        if !request.query.isEmpty {
            target += "?" + request.query.sorted { $0.key < $1.key }
                .map { escape($0.key, keeping: "") + "=" + escape($0.value, keeping: "") }
                .joined(separator: "&")
        }
        return target
    }

    private static func escape(_ text: String, keeping extra: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80 && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) || "-._~".unicodeScalars.contains(scalar)
                || extra.unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return out
    }
}

extension String {
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
