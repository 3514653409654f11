import Foundation
import Hub
import HubProtocol
import TickhubCore

/// The positions kept in the database, registered into the hub's route table: `/api/positions` (list, create),
/// `/api/positions/{id}` (read, update, delete), `/api/positions/import` and `/api/portfolio/history`. Each is answered
/// off the fan-out thread, by the database; a write's outcome is the database's health as much as the periodic
/// snapshots are.
extension PortfolioService: HubFeature {
    package func register(into routes: inout HubRouter) {
        routes.add("positions", [.get], .exact("/api/positions")) { hub, request, _ in self.answer(hub, request) { await $0.list(request) } }
        routes.add("position-create", [.post], .exact("/api/positions")) { hub, request, _ in
            self.answer(hub, request) { await $0.create(request) }
        }
        routes.add("position", [.get, .put, .delete], .prefix("/api/positions/")) { hub, request, remainder in
            guard let id = Int64(remainder) else { return .respond(.error(404, code: "not_found", "no such position: \(quoted(request.path))")) }
            return self.answer(hub, request) {
                switch request.method {
                case .put: await $0.update(id, request)
                case .delete: await $0.delete(id)
                default: await $0.position(id)
                }
            }
        }
        routes.add("positions-import", [.post], .exact("/api/positions/import")) { hub, request, _ in
            // Every imported position is a symbol followed upstream; a file bigger than an account holds is an attack.
            let rows = Self.csvRows(request.body)
            let limit = hub.configuration.maxSymbolsPerImport
            guard rows <= limit else {
                hub.metrics.requestsRefusedForSymbols += 1
                return .respond(.error(413, code: "too_many_symbols",
                    "the file has \(rows) positions; one import may hold \(limit) (server.maxSymbolsPerImport)"))
            }
            return self.answer(hub, request) { await $0.importCSV(request) }
        }
        routes.add("history", [.get], .exact("/api/portfolio/history")) { hub, request, _ in self.answer(hub, request) { await $0.history(request) } }
    }

    /// Answers off the thread; a write that failed for the database (503), or worked, tells the hub's health.
    private func answer(_ hub: FanoutHub, _ request: HTTPRequest,
                        _ work: @escaping @Sendable (PortfolioService) async -> HTTPResponse) -> FanoutHub.Outcome {
        let host = hub.host
        return .async {
            let response = await work(self)
            if request.method != .get, response.status == 503 || (200..<300).contains(response.status) {
                host.reportDatabase(response.status == 503 ? "a position write failed: \(Self.errorMessage(in: response))" : nil, write: .positions)
            }
            return response
        }
    }

    /// Non-blank lines after the header: an upper bound on a CSV's positions, counted without parsing it.
    static func csvRows(_ body: [UInt8]) -> Int {
        var rows = 0, blank = true
        for byte in body {
            if byte == UInt8(ascii: "\n") {
                if !blank { rows += 1 }
                blank = true
            } else if byte != UInt8(ascii: "\r") && byte != UInt8(ascii: " ") {
                blank = false
            }
        }
        if !blank { rows += 1 }
        return max(0, rows - 1)
    }

    /// The `message` of an error response's body, for the health line.
    static func errorMessage(in response: HTTPResponse) -> String {
        struct Body: Decodable {
            struct Problem: Decodable { let message: String }
            let error: Problem
        }
        return (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.error.message ?? "HTTP \(response.status)"
    }
}
