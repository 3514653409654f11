import Hub
import HubProtocol
import Store
import TickhubCore

/// The alert rules, registered into the hub's route table: `/api/alerts` (list, create), `/api/alerts/{id}` (read,
/// delete) and `/api/alerts/deliveries`. A create reads the symbol's state on the fan-out thread (an instrument no
/// provider knows is refused; the quote the hub holds is the rule's first), then stores the rule off the thread.
extension AlertDesk: HubFeature {
    package func register(into routes: inout HubRouter) {
        routes.add("alerts", [.get, .post], .exact("/api/alerts")) { hub, request, _ in
            guard request.method == .post else { return .async { await self.answerList() } }
            let draft: AlertDraft
            do throws(AlertBody.Refusal) { draft = try AlertBody.draft(request.body) } catch { return .respond(.error(400, code: error.code, error.message)) }
            var current: Quote?
            if let instrument = try? SymbolGrammar.parse(draft.symbol) {
                if hub.market.availability[instrument.symbol] == .unknown {
                    return .respond(.error(422, code: "unknown_symbol", "no provider knows the instrument \(instrument.symbol)"))
                }
                current = hub.market.book[instrument.symbol]?.quote
            }
            return .async { [current] in await self.answerCreate(draft, current: current) }
        }
        routes.add("alert-deliveries", [.get], .exact("/api/alerts/deliveries")) { _, request, _ in
            var limit = 100
            if let text = request.query["limit"] {
                guard let n = Int(text), (1...1_000).contains(n) else {
                    return .respond(.error(400, code: "invalid_field", "limit must be a whole number from 1 to 1000"))
                }
                limit = n
            }
            let alertId = request.query["alertId"].flatMap { $0.isEmpty ? nil : $0 }
            return .async { [limit] in
                do throws(AlertDeskError) {
                    return .json(200, AlertBody.deliveries(try await self.deliveries(alertId: alertId, limit: limit)))
                } catch {
                    return Self.response(error)
                }
            }
        }
        routes.add("alert", [.get, .delete], .prefix("/api/alerts/")) { _, request, remainder in
            let id = String(remainder)
            guard !id.isEmpty, !id.contains("/") else {
                return .respond(.error(404, code: "not_found", "no such alert: \(quoted(request.path))"))
            }
            return .async {
                do throws(AlertDeskError) {
                    if request.method == .delete {
                        guard try await self.delete(id: id) else { return .error(404, code: "not_found", "no alert \(quoted(id, limit: 64))") }
                        return HTTPResponse(status: 204, body: [])
                    }
                    guard let (rule, memory) = try await self.rule(id: id) else {
                        return .error(404, code: "not_found", "no alert \(quoted(id, limit: 64))")
                    }
                    return .json(200, AlertBody.rule(rule, memory: memory, now: self.clock.now().milliseconds))
                } catch {
                    return Self.response(error)
                }
            }
        }
    }

    func answerCreate(_ draft: AlertDraft, current: Quote?) async -> HTTPResponse {
        do throws(AlertDeskError) {
            let rule = try await create(draft, current: current)
            let memory = state.withLock { $0.evaluator.memory(of: rule.id) }
            var response = HTTPResponse.json(201, AlertBody.rule(rule, memory: memory, now: clock.now().milliseconds))
            response.headers.append(("location", "/api/alerts/\(rule.id)"))
            return response
        } catch {
            return Self.response(error)
        }
    }

    func answerList() async -> HTTPResponse {
        do throws(AlertDeskError) {
            return .json(200, AlertBody.rules(try await rules(), now: clock.now().milliseconds))
        } catch {
            return Self.response(error)
        }
    }

    static func response(_ error: AlertDeskError) -> HTTPResponse {
        switch error {
        case let .store(.invalidAlert(refusal)):
            .error(400, code: AlertBody.code(refusal), "\(refusal.field): \(refusal)")
        case .store(.alertNotFound):
            .error(404, code: "not_found", error.description)
        case .tooManyRules:
            .error(409, code: "too_many_alerts", error.description)
        case .telegramNotConfigured:
            .error(422, code: "telegram_not_configured", error.description)
        case let .store(failure):
            .error(503, code: "database_unavailable", "\(failure)")
        }
    }
}
