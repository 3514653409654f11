import HubProtocol
import TickhubCore

/// An HTTP request, through the browser guard and the token, to the route table.
extension FanoutHub {
    package enum Outcome {
        case respond(HTTPResponse)
        /// Answered when the symbols' first quotes come, or at `firstQuoteWaitSeconds`.
        case wait(symbols: [String], single: Bool)
        /// Answered off the fan-out thread (a database, a provider).
        case async(@Sendable () async -> HTTPResponse)
    }

    /// Starts answering a request; the response goes out now, or when the exchange gets it.
    package func handle(_ request: HTTPRequest, exchange id: Int, connection: any Connection) -> HTTPResponse? {
        let counted = metricsRoute(request)
        switch route(request) {
        case let .respond(response):
            metrics.countRequest(route: counted, status: response.status)
            return response
        case let .wait(symbols, single):
            exchanges.wait(id, connection, route: counted, for: symbols, single: single,
                           until: clock.nowMicros() + Int64(configuration.firstQuoteWaitSeconds * 1_000_000))
            return nil
        case let .async(work):
            exchanges.expect(id, connection, route: counted)
            let host = host
            Task { host.reply(id, await work()) }
            return nil
        }
    }

    package func route(_ request: HTTPRequest) -> Outcome {
        let path = request.path
        if let refusal = BrowserGuard(configuration: configuration).check(request) {
            return .respond(.error(refusal.status, code: refusal.code, refusal.message))
        }
        if HubRouter.needsToken(request), let required = configuration.token {
            guard Auth.matches(Auth.presentedToken(request), required) else {
                return .respond(.error(401, code: "unauthorized", "this server needs a token: Authorization: Bearer <token> or ?token="))
            }
        }
        switch routes.table.match(request.method, path) {
        case let .found(route, remainder):
            return route.answer(self, request, remainder)
        case let .methodNotAllowed(allow):
            let allowed = allow.map(\.rawValue).joined(separator: ", ")
            return .respond(.methodNotAllowed("\(request.method.rawValue) is not allowed on \(quoted(path)); use \(allowed)", allow: allowed))
        case .notFound:
            guard request.method == .get, HubRouter.isDashboardPath(path) else {
                return .respond(.error(404, code: "not_found", "no such endpoint: \(quoted(path))"))
            }
            return .respond(host.file(path, in: configuration.dashboardDirectory))
        }
    }
}
