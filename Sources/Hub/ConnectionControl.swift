import HubProtocol
import TickhubCore

/// The broker link behind `/api/ibkr/*` and the stream's `status` channel: its state, and the user's switch.
/// The app wires the IBKR provider behind it; the hub knows only the core's connection status.
public protocol ConnectionControl: Sendable {
    func status() async -> BrokerConnectionStatus?
    func setConnected(_ connected: Bool) async
}

/// `/api/ibkr/status`, `/api/ibkr/connect` and `/api/ibkr/disconnect`: answered off the fan-out thread, since
/// the provider is asked.
enum ConnectionRoutes {
    static func register(into routes: inout HubRouter) {
        routes.add("ibkr-status", [.get], .exact("/api/ibkr/status")) { hub, _, _ in
            let control = hub.connectionControl
            return .async { await statusResponse(control) }
        }
        for (path, connect) in [("/api/ibkr/connect", true), ("/api/ibkr/disconnect", false)] {
            routes.add(connect ? "ibkr-connect" : "ibkr-disconnect", [.post], .exact(path)) { hub, _, _ in
                let control = hub.connectionControl
                return .async {
                    await control?.setConnected(connect)
                    return await statusResponse(control)
                }
            }
        }
    }

    static func statusResponse(_ control: (any ConnectionControl)?) async -> HTTPResponse {
        guard let status = await control?.status() else {
            return .error(503, code: "ibkr_disabled", "this hub runs without an IBKR connection")
        }
        var w = JSONWriter()
        write(status, into: &w)
        return .json(200, w.bytes)
    }

    /// The status object of `/api/ibkr/status` and of the stream's `status` messages.
    static func write(_ status: BrokerConnectionStatus?, into w: inout JSONWriter) {
        guard let s = status else {
            w.beginObject()
            w.field("state", "unknown")
            w.endObject()
            return
        }
        w.beginObject()
        w.field("state", s.state.name)
        w.field("transport", s.transport)
        if case let .degraded(reasons) = s.state {
            w.key("degraded")
            w.beginArray()
            for reason in reasons.map(\.rawValue).sorted() { w.value(reason) }
            w.endArray()
        }
        if case let .reconnecting(attempt, delay) = s.state {
            w.field("attempt", attempt)
            w.field("retryInSeconds", (delay * 10).rounded() / 10)
        }
        w.field("host", s.host)
        w.field("port", s.port)
        w.field("clientId", s.clientId)
        w.field("serverVersion", s.serverVersion.map { Int64($0) })
        w.field("connectedSince", s.connectedSince)
        w.field("lastError", s.lastError)
        w.key("accounts")
        w.beginArray()
        for account in s.accounts { w.value(account) }
        w.endArray()
        w.field("linesInUse", s.linesInUse)
        w.field("lineBudget", s.lineBudget)
        w.field("messagesInPerSecond", s.messagesInPerSecond)
        w.field("messagesOutPerSecond", s.messagesOutPerSecond)
        w.field("connections", s.connections)
        if let gateway = s.gateway {
            w.key("gateway")
            w.beginObject()
            w.field("serverName", gateway.serverName)
            w.field("serverVersion", gateway.serverVersion)
            w.field("requestsLast10s", gateway.requestsLast10s)
            w.field("tooManyRequests", gateway.tooManyRequests)
            w.field("penaltyUntil", gateway.penaltyUntil)
            w.endObject()
        }
        w.endObject()
    }
}
