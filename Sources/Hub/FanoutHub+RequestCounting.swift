import HubProtocol

extension FanoutHub {
    /// The route an HTTP request is counted under in `/metrics`: the route table's name for its path, whatever the
    /// method (a 405 counts under the path's route); `dashboard` for the dashboard's files; `unmatched` for every
    /// other path, so that made-up paths cannot grow the label set.
    func metricsRoute(_ request: HTTPRequest) -> String {
        let path = request.path
        switch routes.table.match(request.method, path) {
        case let .found(route, _):
            return route.name
        case let .methodNotAllowed(allow):
            guard let method = allow.first, case let .found(route, _) = routes.table.match(method, path) else { return "unmatched" }
            return route.name
        case .notFound:
            return (request.method == .get || request.method == .head) && HubRouter.isDashboardPath(path) ? "dashboard" : "unmatched"
        }
    }
}
