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
        BrokerStatusJSON.write(s, into: &w)
    }
}
